package main

import (
	"fmt"
	"strings"
	"time"
)

// report is the one table: a row per page or action, and per binary its
// req/s, p50, p99 and share of the yardstick's rate, against the
// yardstick driven just before the page (the yardstick row is the mean of
// those runs), with that yardstick's p99 beside the page's.
func report(o options, runs []*binRun) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%d clients, %s a page; %d groups, %d memberships, a queue of %d; actions timed one at a time (%d samples)\n\n",
		o.clients, o.duration, o.seed.Groups, o.seed.Groups*o.seed.MembersPerGroup, o.seed.Queue, o.actions)
	b.WriteString("| page or action | as |")
	sep := "|---|---|"
	for _, r := range runs {
		fmt.Fprintf(&b, " %s req/s | p50 | p99 | yardstick p99 | share | CPU/req | CPU share |", r.label)
		sep += "--:|--:|--:|--:|--:|--:|--:|"
	}
	b.WriteString("\n" + sep + "\n")
	b.WriteString("| yardstick (one indexed query + html/template) | — |")
	for _, r := range runs {
		y := yardOf(r)
		fmt.Fprintf(&b, " %.0f | %s | %s | %s | 100 %% | %s | 100 %% |", y.Rate(), ms(y.P50), ms(y.P99), ms(y.P99), cpuMS(y.CPUPerRequest()))
	}
	b.WriteString("\n")
	for i, row := range runs[0].rows {
		fmt.Fprintf(&b, "| %s | %s |", row.name, row.as)
		for _, r := range runs {
			if i >= len(r.rows) {
				b.WriteString(" | | | | | | |")
				continue
			}
			res, yard := r.rows[i].res, besideOf(r, r.rows[i])
			share := 100 * res.Rate() / yard.Rate()
			rate := fmt.Sprintf("%.0f", res.Rate())
			if res.Errors > 0 {
				rate += fmt.Sprintf(" (%d errors)", res.Errors)
			}
			if strings.HasPrefix(row.name, "approve") || strings.HasPrefix(row.name, "reject") || strings.HasPrefix(row.name, "private") {
				fmt.Fprintf(&b, " — | %s | %s | — | — | — | — |", ms(res.P50), ms(res.P99))
				continue
			}
			cpuShare := "—"
			if y, p := yard.CPUPerRequest(), res.CPUPerRequest(); y > 0 && p > 0 {
				cpuShare = fmt.Sprintf("%.1f %%", 100*y/p)
			}
			fmt.Fprintf(&b, " %s | %s | %s | %s | %.1f %% | %s | %s |", rate, ms(res.P50), ms(res.P99), ms(yard.P99), share, cpuMS(res.CPUPerRequest()), cpuShare)
		}
		b.WriteString("\n")
	}
	b.WriteString("\nCPU/req is the CPU time the server process and its PostgreSQL cluster spent per request while the page was driven (from /proc; the load generator's own is not in it); CPU share is the yardstick's CPU/req over the page's. It moves far less than req/s when other work shares the machine. Each page's shares and its yardstick p99 are those of the yardstick driven on the same copy just before the page.\n")
	b.WriteString("\nThe yardstick's runs show the noise:")
	for _, r := range runs {
		lo, hi := yardRange(r)
		fmt.Fprintf(&b, " %s %.0f to %.0f req/s;", r.label, lo, hi)
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

// besideOf is the yardstick a row is judged against: the one driven just
// before it, or the run's mean when there was none.
func besideOf(r *binRun, w row) result {
	if w.yard.Requests > 0 {
		return w.yard
	}
	return yardOf(r)
}

// yardRange is the lowest and the highest rate of a run's yardsticks.
func yardRange(r *binRun) (lo, hi float64) {
	for i, y := range r.yard {
		if v := y.Rate(); i == 0 || v < lo {
			lo = v
		}
		if v := y.Rate(); v > hi {
			hi = v
		}
	}
	return lo, hi
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
				100*sr.res.Rate()/besideOf(small, sr).Rate(), 100*br.res.Rate()/besideOf(big, br).Rate())
		}
	}
	return b.String()
}
