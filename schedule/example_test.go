package schedule_test

import (
	"context"
	"fmt"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
)

func ExampleNewWindowCheck() {
	rest := dialgate.Citation{Source: dialgate.SourceConvention, Ref: "工信厅信管函〔2018〕337号 (CN-S4a)"}
	check, err := schedule.NewWindowCheck(schedule.Config{
		Windows:     []schedule.Window{{Days: []string{"mon-sun"}, Ranges: []string{"09:00-12:00", "14:00-21:00"}, Cite: rest}},
		DefaultZone: &schedule.Zone{Name: "Asia/Shanghai", Cite: rest},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	callee := dialgate.MustParseNumber("+8613800138000")
	for _, at := range []string{"2026-12-04T22:30:00+08:00", "2026-12-05T09:00:00+08:00"} {
		t, _ := time.Parse(time.RFC3339, at)
		reasons, _ := check.Check(context.Background(), dialgate.Dial{To: callee, Purpose: dialgate.PurposeService, At: t})
		if len(reasons) == 0 {
			fmt.Println(at, "allowed")
			continue
		}
		fmt.Println(at, reasons[0].Code, "next:", reasons[0].NextAllowedAt.Format(time.RFC3339))
	}
	// Output:
	// 2026-12-04T22:30:00+08:00 schedule.outside_window next: 2026-12-05T09:00:00+08:00
	// 2026-12-05T09:00:00+08:00 allowed
}

func ExampleConfig_Validate() {
	cfg := schedule.Config{Windows: []schedule.Window{{
		Days:   []string{"mon-fri"},
		Ranges: []string{"09:00-25:00"},
		Cite:   dialgate.Citation{Source: dialgate.SourceConvention, Ref: "example"},
	}}}
	fmt.Println(cfg.Validate())
	// Output:
	// schedule.windows[0].ranges[0]: "25:00" is not a time (want HH:MM, 00:00–23:59, or 24:00 as an end): schedule: invalid configuration
}
