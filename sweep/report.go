package sweep

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dialgate/dialgate/internal/textsafe"
)

// WriteText writes the report for people: every number with a finding, one a
// line ("line 12  +8613900139012  1390013  sweep.sequential(run 25)"), then the
// segment summary and the counts. Allowed numbers are counted, not listed,
// unless all is true.
func (rep *Report) WriteText(w io.Writer, all bool) error {
	bw := bufio.NewWriterSize(w, 64*1024)
	for _, r := range rep.Results {
		if r.Allowed() && !all {
			continue
		}
		fmt.Fprintf(bw, "line %d\t%s\t%s\t%s\n", r.Line, r.Number, r.Segment, verdictText(r))
	}
	if len(rep.Segments) > 0 {
		fmt.Fprintf(bw, "\nsegments with findings (%d of %d):\n", len(rep.Segments), rep.SegmentCount)
		for _, s := range rep.Segments {
			fmt.Fprintf(bw, "  %s\t%d numbers\t%d in runs\tlongest run %d", s.Segment, s.Numbers, s.InRuns, s.LongestRun)
			if s.Covered {
				bw.WriteString("\tcovered too densely")
			}
			bw.WriteByte('\n')
		}
	}
	fmt.Fprintf(bw, "\n%d numbers: %d allowed, %d invalid, %d duplicate, %d do-not-call, %d in sequential runs, %d in densely covered segments (%d segments)\n",
		rep.Total, rep.Allowed, rep.Invalid, rep.Duplicate, rep.DNC, rep.Sequential, rep.Coverage, rep.SegmentCount)
	return bw.Flush()
}

func verdictText(r Result) string {
	if r.Allowed() {
		return "allowed"
	}
	codes := r.Findings.Codes()
	for i, c := range codes {
		switch c {
		case "sweep.sequential":
			codes[i] = c + "(run " + strconv.Itoa(r.Run) + ")"
		case "list.invalid":
			if r.Err != nil {
				codes[i] = c + "(" + r.Err.Error() + ")"
			}
		}
	}
	return strings.Join(codes, ",")
}

// WriteCSV writes one row per number line: line, number, segment, verdict
// ("allowed" or "denied"), codes (";"-separated), run, error. The error,
// the one free-text cell, is written with textsafe.CSVCell: one starting
// with =, +, -, @ (a formula to a spreadsheet) gets a leading apostrophe.
// The number (E.164) is written as it is.
func (rep *Report) WriteCSV(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64*1024)
	bw.WriteString("line,number,segment,verdict,codes,run,error\n")
	var buf []byte
	for _, r := range rep.Results {
		buf = strconv.AppendInt(buf[:0], int64(r.Line), 10)
		buf = append(buf, ',')
		buf = r.Number.AppendTo(buf)
		buf = append(buf, ',')
		buf = r.Segment.AppendTo(buf)
		if r.Allowed() {
			buf = append(buf, ",allowed,,,"...)
		} else {
			buf = append(buf, ",denied,"...)
			buf = append(buf, strings.Join(r.Findings.Codes(), ";")...)
			buf = append(buf, ',')
			if r.Run > 0 {
				buf = strconv.AppendInt(buf, int64(r.Run), 10)
			}
			buf = append(buf, ',')
			if r.Err != nil {
				buf = appendCSVField(buf, textsafe.CSVCell(r.Err.Error()))
			}
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func appendCSVField(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}

type jsonResult struct {
	Line    int      `json:"line"`
	Number  string   `json:"number,omitempty"`
	Segment string   `json:"segment,omitempty"`
	Allowed bool     `json:"allowed"`
	Codes   []string `json:"codes,omitempty"`
	Run     int      `json:"run,omitempty"`
	Error   string   `json:"error,omitempty"`
}

type jsonSummary struct {
	Total        int              `json:"total"`
	Allowed      int              `json:"allowed"`
	Invalid      int              `json:"invalid"`
	Duplicate    int              `json:"duplicate"`
	DNC          int              `json:"dnc"`
	Sequential   int              `json:"sequential"`
	Coverage     int              `json:"coverage"`
	SegmentCount int              `json:"segment_count"`
	Segments     []SegmentSummary `json:"segments"`
}

// WriteJSON writes the report as one JSON object:
// {"summary": {...counts, "segments": [...]}, "results": [{line, number,
// segment, allowed, codes, run, error}, ...]}. Results are streamed, so a list
// of millions does not need the whole document in memory.
func (rep *Report) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64*1024)
	segs := rep.Segments
	if segs == nil {
		segs = []SegmentSummary{}
	}
	sum, err := json.Marshal(jsonSummary{rep.Total, rep.Allowed, rep.Invalid, rep.Duplicate, rep.DNC, rep.Sequential, rep.Coverage, rep.SegmentCount, segs})
	if err != nil {
		return err
	}
	bw.WriteString(`{"summary":`)
	bw.Write(sum)
	bw.WriteString(`,"results":[`)
	for i, r := range rep.Results {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
		jr := jsonResult{Line: r.Line, Number: r.Number.String(), Segment: r.Segment.String(), Allowed: r.Allowed(), Run: r.Run}
		if !r.Allowed() {
			jr.Codes = r.Findings.Codes()
		}
		if r.Err != nil {
			jr.Error = r.Err.Error()
		}
		b, err := json.Marshal(jr)
		if err != nil {
			return err
		}
		bw.Write(b)
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}
