package search

import (
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"

	"github.com/scl-dev/scl/internal/atomicfile"
)

// ParquetRow is one row of the Parquet export: the item id, its label (−1 unlabelled), its class
// name (empty when unnamed) and its embedding as a list of float32.
type ParquetRow struct {
	ID        string    `parquet:"id"`
	Label     int64     `parquet:"label"`
	Class     string    `parquet:"class"`
	Embedding []float32 `parquet:"embedding,list"`
}

// WriteParquet writes the features as a Parquet file (columns id, label, class, embedding),
// atomically, for dataframes and vector databases (DuckDB, pandas, LanceDB…).
func (f *Features) WriteParquet(path string) error {
	rows := make([]ParquetRow, f.Len())
	for i := range rows {
		rows[i] = ParquetRow{ID: f.IDs[i], Label: -1, Embedding: f.X[i*f.Dim : (i+1)*f.Dim]}
		if f.Labels != nil {
			rows[i].Label = f.Labels[i]
			if l := f.Labels[i]; l >= 0 && int(l) < len(f.Classes) {
				rows[i].Class = f.Classes[l]
			}
		}
	}
	err := atomicfile.Write(path, func(w io.Writer) error { return parquet.Write(w, rows) })
	if err != nil {
		return fmt.Errorf("search: parquet %s: %w", path, err)
	}
	return nil
}
