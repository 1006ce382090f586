package consent

// NewFakeStore exposes the test fake to the external examples until they can
// use storage/memstore.
func NewFakeStore() Store { return newFakeStore() }
