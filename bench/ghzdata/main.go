// Command ghzdata writes the call data of scripts/ghz-load.sh: a JSON array
// of n CheckRequest messages (ghz sends them round-robin), each an instant
// callback for tenant acme from the ledger's caller ID to a number whose
// 号段 no other message within 100,000 shares, so that the blind-dial guard
// (sequential runs, segment rate) does not trip and every check takes the
// allow path, commits included — the same dials as the sidecar's
// BenchmarkLoad.
//
//	go run ./bench/ghzdata -n 150000 -offset 0 > data.json
//
// With -summary HEALTH.json CHECK.json it prints one line comparing two ghz
// JSON reports (ghz -O json) instead.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"
)

type dial struct {
	To        string `json:"to"`
	From      string `json:"from"`
	Purpose   string `json:"purpose"`
	TriggerAt string `json:"trigger_at"`
	LeadID    string `json:"lead_id"`
	Tenant    string `json:"tenant"`
}

// report is the part of a ghz JSON report the summary reads.
type report struct {
	RPS     float64 `json:"rps"`
	Latency []struct {
		Percentage int   `json:"percentage"`
		Latency    int64 `json:"latency"` // ns
	} `json:"latencyDistribution"`
	Codes map[string]int `json:"statusCodeDistribution"`
}

func (r report) ms(p int) float64 {
	for _, l := range r.Latency {
		if l.Percentage == p {
			return float64(l.Latency) / 1e6
		}
	}
	return 0
}

func readReport(path string) (report, error) {
	var r report
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &r)
	}
	if err == nil && r.RPS <= 0 {
		err = fmt.Errorf("no requests completed")
	}
	if err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

func summary(health, check string) error {
	h, err := readReport(health)
	if err != nil {
		return err
	}
	c, err := readReport(check)
	if err != nil {
		return err
	}
	fmt.Printf("health %.0f calls/s p99 %.1f ms | Check %.0f calls/s p50 %.1f ms p99 %.1f ms | Check/health %.3f | codes %v\n",
		h.RPS, h.ms(99), c.RPS, c.ms(50), c.ms(99), c.RPS/h.RPS, c.Codes)
	return nil
}

func main() {
	n := flag.Int("n", 150000, "messages to write")
	off := flag.Int("offset", 0, "index of the first message (distinct callees per run)")
	sum := flag.Bool("summary", false, "compare two ghz JSON reports given as arguments (health, check)")
	flag.Parse()
	if *sum {
		if flag.NArg() != 2 {
			fmt.Fprintln(os.Stderr, "ghzdata: -summary needs HEALTH.json CHECK.json")
			os.Exit(2)
		}
		if err := summary(flag.Arg(0), flag.Arg(1)); err != nil {
			fmt.Fprintln(os.Stderr, "ghzdata:", err)
			os.Exit(1)
		}
		return
	}
	if *n < 1 || *off < 0 {
		fmt.Fprintln(os.Stderr, "ghzdata: -n must be positive and -offset not negative")
		os.Exit(2)
	}
	trigger := time.Now().UTC().Format(time.RFC3339)
	msgs := make([]map[string]dial, 0, *n)
	for i := *off; i < *off+*n; i++ {
		seg := i % 100_000
		to := fmt.Sprintf("+861%d%04d%04d", 30+seg%10, seg/10, (i/100_000*7919+1234)%10_000)
		msgs = append(msgs, map[string]dial{"dial": {To: to, From: "+861058001234", Purpose: "PURPOSE_CALLBACK", TriggerAt: trigger, LeadID: "crm-1", Tenant: "acme"}})
	}
	if err := json.NewEncoder(os.Stdout).Encode(msgs); err != nil {
		fmt.Fprintln(os.Stderr, "ghzdata:", err)
		os.Exit(1)
	}
}
