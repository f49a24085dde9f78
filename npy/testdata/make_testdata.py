# Produces the reference .npy files used by npy's tests, with Debian 12's NumPy:
#   cd npy/testdata && /usr/bin/python3 make_testdata.py
# Written once; the tests do not need Python.
import numpy as np

a = (np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5) / 3
np.save("f4_3x4.npy", a)
np.save("i8_5.npy", np.array([0, -1, 7, 2**40, -(2**62)], dtype=np.int64))
np.save("i4_4.npy", np.array([3, -2, 9, 0], dtype=np.int32))
np.save("f8_2x2.npy", np.array([[1.5, -2.25], [1e300, -0.0]], dtype=np.float64))
np.save("f4be_3x4.npy", a.astype(">f4"))
np.save("f4_fortran_3x4.npy", np.asfortranarray(a))
np.save("f4_0x7.npy", np.zeros((0, 7), dtype=np.float32))
np.save("u1_3.npy", np.array([1, 2, 3], dtype=np.uint8))
with open("f4_3x4_v2.npy", "wb") as f:
    np.lib.format.write_array(f, a, version=(2, 0))
print(np.__version__)
