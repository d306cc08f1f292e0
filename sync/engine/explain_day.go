package engine

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/periods"
	"github.com/koppel-nl/koppel/sync/runlog"
)

// The rules of a run have no clock: date_from decides what ended too long ago, and future-dated
// employments are delivered (delivery.md). So a run on another day delivers the same lines from
// the same AFAS rows. What the day changes is where each record stands on it — started or not,
// ended, recovered, the next Gatekeeper milestone of an open composite period — and that is what
// these notes add to the decisions, for today or for the day asked with --date.

// explainDay is the day an explanation is made for: opts.Day, else today by opts.Now.
func explainDay(opts Options) time.Time {
	if !opts.Day.IsZero() {
		return periods.Day(opts.Day)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	return periods.Day(now())
}

func dateText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

func (x *Explanation) note(entity, key, code string, args ...string) {
	x.Decisions = append(x.Decisions, runlog.Log{Level: runlog.Metadata, Entity: entity, Key: mapping.DisplayKey(key), Code: code, Args: args})
}

// employmentOnDay notes where a delivered employment stands on day.
func (x *Explanation) employmentOnDay(key string, d mapping.Employment, day, dateFrom time.Time) {
	on := dateText(day)
	switch {
	case d.Begin.After(day):
		x.note(mapping.Employments, key, "explain.day_dv_future", on, dateText(d.Begin))
	case !d.Einde.IsZero() && d.Einde.Before(day):
		x.note(mapping.Employments, key, "explain.day_dv_ended", on, dateText(d.Einde), dateText(dateFrom))
	case !d.Einde.IsZero():
		x.note(mapping.Employments, key, "explain.day_dv_until", on, dateText(d.Begin), dateText(d.Einde))
	default:
		x.note(mapping.Employments, key, "explain.day_dv_active", on, dateText(d.Begin))
	}
}

// absenceOnDay notes where a delivered absence stands on day, once per absence (its progress
// rows share the absence's dates).
func (x *Explanation) absenceOnDay(key string, a mapping.Absence, day time.Time) {
	if x.noted == nil {
		x.noted = map[int64]bool{}
	}
	if x.noted[a.VerzuimID] {
		return
	}
	x.noted[a.VerzuimID] = true
	on := dateText(day)
	switch {
	case a.EersteDag.After(day):
		x.note(mapping.Absences, key, "explain.day_abs_future", on, dateText(a.EersteDag))
	case !a.Herstel.IsZero() && !a.Herstel.After(day):
		x.note(mapping.Absences, key, "explain.day_abs_recovered", on, dateText(a.Herstel))
	case !a.Herstel.IsZero():
		x.note(mapping.Absences, key, "explain.day_abs_recovers", on, dateText(a.Herstel))
	case !a.VerwachtHerstel.IsZero() && !a.VerwachtHerstel.After(day):
		x.note(mapping.Absences, key, "explain.day_abs_overdue", on, dateText(a.EersteDag), dateText(a.VerwachtHerstel))
	default:
		x.note(mapping.Absences, key, "explain.day_abs_open", on, dateText(a.EersteDag))
	}
}

// periodsOnDay notes the composite period of each delivered absence and, for a period still
// open on day, its next Gatekeeper milestone. It reads the index before compute empties it.
func (x *Explanation) periodsOnDay(pi *periodIndex, day time.Time) {
	on := dateText(day)
	pi.eachHolder(func(_ string, list []periods.Absence) {
		ps, _ := periods.Compute(list)
		for _, p := range ps {
			delivered := false
			for _, id := range p.Absences {
				delivered = delivered || x.noted[id]
			}
			if !delivered {
				continue // only history: nothing of it is delivered
			}
			key := mapping.DisplayKey(strconv.FormatInt(p.ID, 10))
			x.Decisions = append(x.Decisions, runlog.Log{Level: runlog.Metadata, Entity: mapping.Absences, Key: key,
				Code: "explain.period", Args: []string{strconv.FormatInt(p.ID, 10), dateText(p.FirstDay), strconv.Itoa(len(p.Absences)), dateText(p.EndOfWaiting)}})
			if p.FirstDay.After(day) || !p.Open() && !p.Recovered.After(day) {
				continue
			}
			if m, ok := periods.Next(periods.Milestones(p, day)); ok {
				x.Decisions = append(x.Decisions, runlog.Log{Level: runlog.Metadata, Entity: mapping.Absences, Key: key,
					Code: "explain.day_milestone", Args: []string{on, strconv.Itoa(m.Week), dateText(m.Date)}})
			}
		}
	})
}

// accountNote says whether the employee qualifies for a manager account (delivery.md): the
// manager of a department that is not Vervallen, and delivered. A qualifying employee whose
// account is Uitval has that in the decisions already.
func (x *Explanation) accountNote(units []mapping.Unit, medewerker string, delivered bool, accounts []mapping.Record) {
	var managed []string
	for _, u := range units {
		if u.Manager == medewerker && !u.Vervallen {
			managed = append(managed, u.Code)
		}
	}
	slices.Sort(managed)
	switch {
	case len(managed) == 0:
		x.note(mapping.Users, "", "explain.user_none", medewerker)
	case !delivered:
		x.note(mapping.Users, "", "explain.user_undelivered", strings.Join(managed, ", "))
	case len(accounts) > 0:
		x.note(mapping.Users, accounts[0].Key, "explain.user_account", strings.Join(managed, ", "), accounts[0].Values[slices.Index(mapping.Columns(mapping.Users), "Afdelingen")])
	}
}
