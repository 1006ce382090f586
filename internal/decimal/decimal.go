// Package decimal holds the powers of ten the number code of dialgate
// (E.164 numbers kept as integers) splits and joins digits with.
package decimal

// Pow10 is 10ⁿ for n from 0 to 19 (10¹⁹ is the largest power of ten a uint64
// holds; an E.164 number has at most 15 digits).
var Pow10 = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}
