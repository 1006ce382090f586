package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/report"
	"github.com/dialgate/dialgate/storage/boltstore"
)

func (a *app) reportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Reports for regulators",
	}
	cmd.AddCommand(a.reportQuarterlyCmd())
	return cmd
}

func (a *app) reportQuarterlyCmd() *cobra.Command {
	var quarter, format, out, tenant, zone, at string
	cmd := &cobra.Command{
		Use:   "quarterly --quarter 2026Q4 [--format json|csv|html] [--out FILE]",
		Short: "The quarterly report (CN-S16) from the audit log and the store in --data",
		Long: `The quarterly report (工信厅信管函〔2018〕337号 CN-S16, 按季度将治理工作情况总结报):
dials decided, allowed and denied by reason code, do-not-call additions by
source, complaints and their status, recordings kept, held and deleted, and the
policy versions in force. It reads the audit log in --data/audit and the store
in --data; run ` + "`dialgate audit verify`" + ` first to prove the log unedited.`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if quarter == "" {
				return usageErr("--quarter: missing (want e.g. 2026Q4)")
			}
			q, err := report.ParseQuarter(quarter)
			if err != nil {
				return usageErr("--quarter: %v", err)
			}
			write := map[string]func(*report.Report, io.Writer) error{
				"json": (*report.Report).WriteJSON, "csv": (*report.Report).WriteCSV, "html": (*report.Report).WriteHTML,
			}[format]
			if write == nil {
				return usageErr("--format: unknown format %q (want json, csv or html)", format)
			}
			loc, err := time.LoadLocation(zone)
			if err != nil {
				return usageErr("--zone: %v", err)
			}
			now, err := parseAt("at", at)
			if err != nil {
				return err
			}
			files, err := auditlog.LogFiles(filepath.Join(a.data, sidecar.AuditDir))
			if err != nil {
				return failErr(fmt.Errorf("--data: audit log: %w", err))
			}
			if len(files) == 0 {
				return failErr(errors.New("--data: the audit log has no files"))
			}
			path := filepath.Join(a.data, boltstore.DefaultFileName)
			if _, err := os.Stat(path); err != nil {
				return failErr(fmt.Errorf("--data: %w", err))
			}
			s, err := boltstore.Open(path, boltstore.Options{})
			if err != nil {
				return failErr(fmt.Errorf("--data: %w", err))
			}
			defer s.Close()
			r, err := report.Build(cmd.Context(), q, loc, now, report.Sources{
				AuditFiles: files, Tenant: tenant, DNC: s, Complaints: s, Recordings: s,
			})
			if err != nil {
				return failErr(err)
			}
			w := a.stdout
			if out != "" {
				f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
				if err != nil {
					return usageErr("--out: %v", err)
				}
				defer f.Close()
				w = f
			}
			if err := write(r, w); err != nil {
				return failErr(err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&quarter, "quarter", "", "the quarter, e.g. 2026Q4 (required)")
	f.StringVar(&format, "format", "json", "json, csv or html (a self-contained page with inline SVG charts)")
	f.StringVar(&out, "out", "", "write to this file instead of stdout")
	f.StringVar(&tenant, "tenant", "", "only this tenant")
	f.StringVar(&zone, "zone", "Asia/Shanghai", "time zone of the quarter's boundaries")
	f.StringVar(&at, "at", "", "report as of this time (overdue complaints), RFC 3339 (default now)")
	return cmd
}
