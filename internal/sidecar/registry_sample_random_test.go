package sidecar

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/dialgate/dialgate/dnc"
)

// unsampledSwap returns a copy of inForce (sorted) with share of its
// numbers replaced by as many numbers of reserve — only numbers at positions
// that are not multiples of k, the positions a sample of every k-th number
// never reads — and the numbers it dropped.
func unsampledSwap(inForce, reserve []uint64, k int, share float64) (nums, dropped []uint64) {
	n := int(share * float64(len(inForce)))
	for i, v := range inForce {
		if i%k != 0 && len(dropped) < n {
			dropped = append(dropped, v)
			continue
		}
		nums = append(nums, v)
	}
	nums = append(nums, reserve[:len(dropped)]...)
	slices.Sort(nums)
	return nums, dropped
}

// The swap guard's sample was every k-th number of the copy in force, the
// same numbers at every look: a copy that dropped 30 % of the numbers in
// force — none at those positions — and added as many others kept its
// count and lacked none of the sample, so it was swapped in and every number
// it dropped was allowed. The sample is now drawn at random (one number at a
// random position in each stratum of k): the copy is refused, at a reload
// and at a start alike.
func TestRegistrySwapUnsampledPositionsRefused(t *testing.T) {
	day1 := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	all := usNums(100_000)
	inForce, reserve := all[:72_000], all[72_000:]

	t.Run("reload", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "us.dnc")
		writeRegistry(t, path, "us-national-dnc", day1, slices.Clone(inForce)...)
		be, err := Open(context.Background(), Config{Data: t.TempDir(), Profile: "us", Registries: []string{path}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { be.Close(context.Background()) })
		k := (len(inForce) + registryReloadSample - 1) / registryReloadSample // 2
		next, dropped := unsampledSwap(inForce, reserve, k, 0.30)
		if len(next) != len(inForce) {
			t.Fatalf("fixture: %d numbers, want %d", len(next), len(inForce))
		}
		writeRegistry(t, path, "us-national-dnc", day1.Add(time.Hour), next...)
		if err := be.ReloadRegistries(false); err == nil {
			t.Fatal("a copy that swapped 30 % of the numbers in force for others, none of them at a sampled position, was swapped in")
		}
		if !listedIn(t, be, dropped[0]) {
			t.Fatal("a number the refused copy dropped is no longer listed")
		}
	})

	t.Run("start", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "us.dnc")
		data := t.TempDir()
		open := func() error {
			be, err := Open(context.Background(), Config{Data: data, Profile: "us", Registries: []string{path}}, nil)
			if err == nil {
				be.Close(context.Background())
			}
			return err
		}
		writeRegistry(t, path, "us-national-dnc", day1, slices.Clone(inForce)...)
		if err := open(); err != nil {
			t.Fatal(err)
		}
		k := (len(inForce) + registrySampleSize - 1) / registrySampleSize // 18
		next, _ := unsampledSwap(inForce, reserve, k, 0.30)
		writeRegistry(t, path, "us-national-dnc", day1.Add(time.Hour), next...)
		if err := open(); err == nil {
			t.Fatal("a start with a copy that swapped 30 % of the numbers last in force, none of them at a recorded sample's position, succeeded")
		}
	})
}

// sampleOf draws with the injected source (a seeded one reproduces a
// sample) and, without one, from crypto/rand: two samples differ.
func TestRegistrySampleOfSource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "us.dnc")
	writeRegistry(t, path, "us-national-dnc", time.Now().Add(-time.Hour).UTC(), usNums(20_000)...)
	s, err := dnc.OpenSnapshot(path)
	if err != nil {
		t.Fatal(err)
	}
	seeded := func() (rand.Source, error) { return rand.NewPCG(7, 8), nil }
	a, err := sampleOf(s, 1000, seeded)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := sampleOf(s, 1000, seeded)
	if len(a) != 1000 || !slices.Equal(a, b) {
		t.Fatalf("seeded samples: %d and %d numbers, equal %v; want the same 1000", len(a), len(b), slices.Equal(a, b))
	}
	c, _ := sampleOf(s, 1000, nil)
	d, _ := sampleOf(s, 1000, nil)
	if len(c) != 1000 || slices.Equal(c, d) {
		t.Fatalf("crypto-seeded samples: %d numbers, equal %v; want two different samples of 1000", len(c), slices.Equal(c, d))
	}
	if _, err := sampleOf(s, 1000, func() (rand.Source, error) { return nil, errors.New("no entropy") }); err == nil {
		t.Fatal("a source that cannot be made: no error")
	}
}
