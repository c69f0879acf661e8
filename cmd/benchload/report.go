package main

import (
	"fmt"
	"strings"
	"time"
)

// report is the one table: a row per page or action, and per binary its
// req/s, p50, p99 and share of the yardstick's rate in the same run.
func report(o options, runs []*binRun) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%d clients, %s a page; %d groups, %d memberships, a queue of %d; actions timed one at a time (%d samples)\n\n",
		o.clients, o.duration, o.seed.Groups, o.seed.Groups*o.seed.MembersPerGroup, o.seed.Queue, o.actions)
	b.WriteString("| page or action | as |")
	sep := "|---|---|"
	for _, r := range runs {
		fmt.Fprintf(&b, " %s req/s | p50 | p99 | share | CPU/req | CPU share |", r.label)
		sep += "--:|--:|--:|--:|--:|--:|"
	}
	b.WriteString("\n" + sep + "\n")
	b.WriteString("| yardstick (one indexed query + html/template) | — |")
	for _, r := range runs {
		y := yardOf(r)
		fmt.Fprintf(&b, " %.0f | %s | %s | 100 %% | %s | 100 %% |", y.Rate(), ms(y.P50), ms(y.P99), cpuMS(y.CPUPerRequest()))
	}
	b.WriteString("\n")
	for i, row := range runs[0].rows {
		fmt.Fprintf(&b, "| %s | %s |", row.name, row.as)
		for _, r := range runs {
			if i >= len(r.rows) {
				b.WriteString(" | | | | | |")
				continue
			}
			res := r.rows[i].res
			share := 100 * res.Rate() / yardOf(r).Rate()
			rate := fmt.Sprintf("%.0f", res.Rate())
			if res.Errors > 0 {
				rate += fmt.Sprintf(" (%d errors)", res.Errors)
			}
			if strings.HasPrefix(row.name, "approve") || strings.HasPrefix(row.name, "reject") || strings.HasPrefix(row.name, "private") {
				fmt.Fprintf(&b, " — | %s | %s | — | — | — |", ms(res.P50), ms(res.P99))
				continue
			}
			cpuShare := "—"
			if y, p := yardOf(r).CPUPerRequest(), res.CPUPerRequest(); y > 0 && p > 0 {
				cpuShare = fmt.Sprintf("%.1f %%", 100*y/p)
			}
			fmt.Fprintf(&b, " %s | %s | %s | %.1f %% | %s | %s |", rate, ms(res.P50), ms(res.P99), share, cpuMS(res.CPUPerRequest()), cpuShare)
		}
		b.WriteString("\n")
	}
	b.WriteString("\nCPU/req is the CPU time the server process and its PostgreSQL cluster spent per request while the page was driven (from /proc; the load generator's own is not in it); CPU share is the yardstick's CPU/req over the page's. It moves far less than req/s when other work shares the machine.\n")
	b.WriteString("\nThe yardstick's two runs (first and last of the pages) show the noise:")
	for _, r := range runs {
		fmt.Fprintf(&b, " %s %.0f and %.0f req/s;", r.label, r.yard[0].Rate(), r.yard[len(r.yard)-1].Rate())
	}
	b.WriteString(" starting each binary on its copy (its migrations included) took")
	for _, r := range runs {
		fmt.Fprintf(&b, " %s %s;", r.label, r.migration.Round(100*time.Millisecond))
	}
	b.WriteString("\n")
	return b.String()
}

// yardOf is the mean of a run's yardstick measurements.
func yardOf(r *binRun) result {
	var out result
	for _, y := range r.yard {
		out.Requests += y.Requests
		out.Elapsed += y.Elapsed
		out.CPU += y.CPU
		out.P50 += y.P50 / time.Duration(len(r.yard))
		out.P99 += y.P99 / time.Duration(len(r.yard))
	}
	return out
}

// cpuMS is a CPU time per request; "—" when not measured.
func cpuMS(v float64) string {
	if v <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f ms", v)
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// flatReport compares the last binary's pages on the full seed (big) with
// the same pages on the small seed: the cost of a request, by CPU time and
// by share of the yardstick in each run, and how much more the big site
// costs.
func flatReport(o options, big, small *binRun) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nFlat in the data: %s at %d groups against %d groups (same accounts, members per group and queue)\n\n", big.label, o.seed.Groups, o.small)
	fmt.Fprintf(&b, "| page | as | CPU/req at %d | CPU/req at %d | more at %d (CPU) | share at %d | share at %d |\n|---|---|--:|--:|--:|--:|--:|\n",
		o.small, o.seed.Groups, o.seed.Groups, o.small, o.seed.Groups)
	yb, ys := yardOf(big), yardOf(small)
	for _, sr := range small.rows {
		for _, br := range big.rows {
			if br.name != sr.name || br.as != sr.as {
				continue
			}
			more := "—"
			if s, g := sr.res.CPUPerRequest(), br.res.CPUPerRequest(); s > 0 && g > 0 {
				more = fmt.Sprintf("%+.0f %%", 100*(g/s-1))
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %.1f %% | %.1f %% |\n", sr.name, sr.as,
				cpuMS(sr.res.CPUPerRequest()), cpuMS(br.res.CPUPerRequest()), more,
				100*sr.res.Rate()/ys.Rate(), 100*br.res.Rate()/yb.Rate())
		}
	}
	return b.String()
}
