// Command probe is the whole of the tiny image that TestServingImage runs first, to find out
// whether (and with which flags) this machine can start a container at all.
package main

import "fmt"

func main() { fmt.Println("container ok") }
