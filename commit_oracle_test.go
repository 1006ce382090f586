package dialgate

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"
)

// commitAllOracle is commitAll as it was before its dial, results and wait
// group shared one allocation, kept as the test oracle.
func (g *Gate) commitAllOracle(ctx *deadlineCtx, d Dial, id string, res []commitResult) {
	var wg sync.WaitGroup
	for k := 1; k < len(res); k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[k].rs, res[k].err = g.commitOne(ctx, g.committers[k], d, id)
		}()
	}
	res[0].rs, res[0].err = g.commitOne(ctx, g.committers[0], d, id)
	wg.Wait()
}

// oracleCommitter answers Commit from a hash of its name, the dial and the
// decision id: a pass, reasons naming what it was given, an error or a
// panic, the same for the same arguments.
type oracleCommitter struct{ name string }

func (c oracleCommitter) Name() string { return c.name }
func (c oracleCommitter) Check(context.Context, Dial) ([]Reason, error) {
	return nil, nil
}
func (c oracleCommitter) Release(context.Context, string) error { return nil }
func (c oracleCommitter) Commit(_ context.Context, d Dial, id string) ([]Reason, error) {
	h := fnv.New64a()
	fmt.Fprint(h, c.name, d.To.String(), d.Campaign, d.LeadID, id)
	v := h.Sum64()
	switch v % 4 {
	case 0:
		return nil, nil
	case 1:
		return []Reason{{Code: CodeFrequencyCapped, Message: c.name + " " + d.Campaign + " " + id}}, nil
	case 2:
		return nil, errors.New(c.name + ": " + d.LeadID)
	}
	panic(c.name + " " + strconv.FormatUint(v, 16))
}

// TestCommitAllOracle: for one to nine committers (more than commitRun
// keeps inline too) and random dials, commitAll returns what the oracle
// fills in, committer by committer.
func TestCommitAllOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for n := 1; n <= 9; n++ {
		var checks []Checker
		for i := range n {
			checks = append(checks, oracleCommitter{name: "c" + strconv.Itoa(i)})
		}
		g, err := New(checks, WithoutAuditLog())
		if err != nil {
			t.Fatal(err)
		}
		for range 200 {
			d := Dial{
				To:       MustParseNumber("+86138" + strconv.Itoa(10000000+r.IntN(89999999))),
				Campaign: strconv.Itoa(r.IntN(1000)),
				LeadID:   strconv.Itoa(r.IntN(1000)),
			}
			id := "dg-" + strconv.Itoa(r.IntN(1e6))
			ctx := newDeadlineCtx(context.Background(), time.Now().Add(time.Minute))
			got := g.commitAll(ctx, d, id)
			want := make([]commitResult, n)
			g.commitAllOracle(ctx, d, id, want)
			ctx.stop()
			if len(got) != len(want) {
				t.Fatalf("%d committers: %d results, the oracle has %d", n, len(got), len(want))
			}
			for k := range want {
				if !reflect.DeepEqual(got[k].rs, want[k].rs) || fmt.Sprint(got[k].err) != fmt.Sprint(want[k].err) {
					t.Fatalf("%d committers, committer %d: %+v, the oracle says %+v", n, k, got[k], want[k])
				}
			}
		}
	}
}
