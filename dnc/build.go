package dnc

import (
	"bufio"
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/dialgate/dialgate"
)

// Source is one list to build from: a name for messages and its reader.
type Source struct {
	Name string    // names the list in errors and in BuildOptions.Bad (a file name)
	R    io.Reader // the list's text, one number per line, as ParseList reads it
}

// BuildOptions configures BuildSet. The zero value reads international
// numbers, fails on the first malformed line, sorts in chunks of 8M numbers
// (64 MiB) and spills sorted runs to os.TempDir.
type BuildOptions struct {
	// Parse says how to read each list.
	Parse ParseOptions
	// Bad, when set, is called for each malformed line instead of failing
	// the build; an error it returns stops the build.
	Bad func(source string, e *LineError) error
	// ChunkNumbers is how many numbers are sorted in memory at a time
	// (default 1<<23). Memory use is about 16 bytes times this.
	ChunkNumbers int
	// TempDir holds the sorted runs (default os.TempDir()). They are removed
	// before BuildSet returns.
	TempDir string
}

// BuildStats reports what BuildSet read.
type BuildStats struct {
	ParseStats
	Distinct int   // distinct numbers in the set
	Runs     int   // sorted runs spilled to disk
	RunBytes int64 // bytes of spilled runs
}

// BuildSet reads every source and returns the exact set of their numbers.
// It never holds the text in memory: numbers are parsed as they stream by,
// sorted in chunks on a second goroutine, spilled to delta-encoded run files
// and merged. ctx cancels the build.
func BuildSet(ctx context.Context, srcs []Source, opts BuildOptions) (_ *Set, st BuildStats, _ error) {
	chunk := opts.ChunkNumbers
	if chunk <= 0 {
		chunk = 1 << 23
	}
	dir := opts.TempDir
	if dir == "" {
		dir = os.TempDir()
	}
	var runs []*os.File
	// runBytes is the spill goroutine's until finish has returned: the
	// deferred finish below waits for it before the statistics are
	// returned, also when the build fails while a run is being spilled.
	var runBytes int64
	defer func() {
		for _, f := range runs {
			f.Close()
			os.Remove(f.Name())
		}
	}()

	// One goroutine sorts and spills full chunks while the parser fills the next.
	jobs := make(chan []uint64)
	free := make(chan []uint64, 1)
	spillErr := make(chan error, 1)
	go func() {
		var err error
		for buf := range jobs {
			if err == nil {
				var f *os.File
				var n int64
				f, n, err = spill(dir, buf)
				if f != nil {
					runs = append(runs, f)
					runBytes += n
				}
			}
			free <- buf[:0]
		}
		spillErr <- err
	}()
	free <- make([]uint64, 0, chunk)
	cur := make([]uint64, 0, chunk)
	closed := false
	finish := func() error {
		if closed {
			return nil
		}
		closed = true
		close(jobs)
		<-free
		return <-spillErr
	}
	defer func() {
		_ = finish() // its error was returned unless the build failed before it
		st.RunBytes = runBytes
	}()

	for _, src := range srcs {
		name := src.Name
		var bad func(*LineError) error
		if opts.Bad != nil {
			bad = func(e *LineError) error { return opts.Bad(name, e) }
		}
		ps, err := ParseList(src.R, opts.Parse, func(n dialgate.Number) error {
			if len(cur) == cap(cur) {
				if err := ctx.Err(); err != nil {
					return err
				}
				jobs <- cur
				cur = <-free
			}
			cur = append(cur, n.Uint64())
			return nil
		}, bad)
		st.Lines += ps.Lines
		st.Numbers += ps.Numbers
		st.Bad += ps.Bad
		st.Skipped += ps.Skipped
		if err != nil {
			var le *LineError
			if errors.As(err, &le) {
				return nil, st, fmt.Errorf("%s: %w", name, err)
			}
			return nil, st, fmt.Errorf("dnc: build from %s: %w", name, err)
		}
	}
	if err := finish(); err != nil {
		return nil, st, err
	}
	slices.Sort(cur)
	cur = slices.Compact(cur)
	st.Runs = len(runs)
	var b SetBuilder
	if len(runs) == 0 {
		for _, v := range cur {
			if err := b.Add(v); err != nil {
				return nil, st, err
			}
		}
	} else {
		if err := mergeRuns(ctx, runs, cur, b.Add); err != nil {
			return nil, st, err
		}
	}
	st.Distinct = b.Len()
	return b.Set(), st, nil
}

// spill sorts buf, drops duplicates and writes it as a run of uvarint deltas.
func spill(dir string, buf []uint64) (*os.File, int64, error) {
	slices.Sort(buf)
	buf = slices.Compact(buf)
	f, err := os.CreateTemp(dir, "dialgate-dnc-run-*")
	if err != nil {
		return nil, 0, fmt.Errorf("dnc: build: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var prev uint64
	var tmp [binary.MaxVarintLen64]byte
	var n int64
	for _, v := range buf {
		k := binary.PutUvarint(tmp[:], v-prev)
		prev = v
		w.Write(tmp[:k])
		n += int64(k)
	}
	if err := w.Flush(); err != nil {
		return f, n, fmt.Errorf("dnc: build: write run: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return f, n, fmt.Errorf("dnc: build: %w", err)
	}
	return f, n, nil
}

type runReader struct {
	r   *bufio.Reader
	cur uint64
	mem []uint64 // in-memory run when r is nil
}

func (rr *runReader) next() (bool, error) {
	if rr.r == nil {
		if len(rr.mem) == 0 {
			return false, nil
		}
		rr.cur, rr.mem = rr.mem[0], rr.mem[1:]
		return true, nil
	}
	d, err := binary.ReadUvarint(rr.r)
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dnc: build: read run: %w", err)
	}
	rr.cur += d
	return true, nil
}

// runHeap is a container/heap of run readers ordered by their current value,
// for the k-way merge of sorted runs.
type runHeap []*runReader

// Len implements heap.Interface.
func (h runHeap) Len() int { return len(h) }

// Less orders readers by their current value.
func (h runHeap) Less(i, j int) bool { return h[i].cur < h[j].cur }

// Swap implements heap.Interface.
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

// Push adds x, a *runReader.
func (h *runHeap) Push(x any) { *h = append(*h, x.(*runReader)) }

// Pop removes and returns the last reader.
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// mergeRuns merges sorted runs (and one in-memory run) into add, ascending.
func mergeRuns(ctx context.Context, runs []*os.File, mem []uint64, add func(uint64) error) error {
	h := make(runHeap, 0, len(runs)+1)
	for _, f := range runs {
		rr := &runReader{r: bufio.NewReaderSize(f, 1<<18)}
		ok, err := rr.next()
		if err != nil {
			return err
		}
		if ok {
			h = append(h, rr)
		}
	}
	if len(mem) > 0 {
		rr := &runReader{mem: mem}
		rr.next()
		h = append(h, rr)
	}
	heap.Init(&h)
	var i int
	for len(h) > 0 {
		if i++; i&(1<<20-1) == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		top := h[0]
		if err := add(top.cur); err != nil {
			return err
		}
		ok, err := top.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return nil
}
