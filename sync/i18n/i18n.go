// Package i18n is koppel's one message catalog, used by the CLI and the TUI alike. Dutch is the
// default: it is the vocabulary of AFAS and Xpert Suite. Log entries are stored as codes with
// arguments and rendered here, so a run logged in Dutch reads in English too.
package i18n

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// argIndex finds the explicit argument indexes (%[1]s) of a template; at most nine.
var argIndex = regexp.MustCompile(`%\[([1-9])\]`)

// Lang is a UI language.
type Lang string

// The supported languages.
const (
	NL Lang = "nl"
	EN Lang = "en"
)

// Parse reads a --lang value.
func Parse(s string) (Lang, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "nl":
		return NL, nil
	case "en":
		return EN, nil
	}
	return NL, fmt.Errorf("--lang %q: expected nl or en", s)
}

// CodeArg marks an argument of T that is itself a catalog code, rendered in the same language
// (e.g. the kind of an AFAS failure inside the message about it).
const CodeArg = "\x1ecode:"

// T renders a message. Arguments fill %[n]s verbs. An unknown code renders as itself, with its
// arguments, so nothing is silently lost.
func (l Lang) T(code string, args ...string) string {
	m, ok := lookup(code)
	if !ok {
		if len(args) == 0 {
			return code
		}
		return code + ": " + strings.Join(args, ", ")
	}
	tmpl := m[0]
	if l == EN {
		tmpl = m[1]
	}
	// Pass only the arguments the template uses: a message may leave some out.
	used := 0
	for _, m := range argIndex.FindAllStringSubmatch(tmpl, -1) {
		used = max(used, int(m[1][0]-'0'))
	}
	args = args[:min(len(args), used)]
	if len(args) == 0 {
		return strings.ReplaceAll(tmpl, "%%", "%")
	}
	as := make([]any, len(args))
	for i, a := range args {
		if c, ok := strings.CutPrefix(a, CodeArg); ok {
			a = l.T(c) // an argument that is itself a message, in the same language
		}
		as[i] = a
	}
	return fmt.Sprintf(tmpl, as...)
}

// Has reports whether the catalog has a message.
func Has(code string) bool {
	_, ok := lookup(code)
	return ok
}

// catalogs are the parts of the catalog, one file each: the engine and rules (this file), the
// TUI, profile validation, the command line, the first-sync matching, the SFTP upload.
func catalogs() []map[string][2]string {
	return []map[string][2]string{
		messages, tuiMessages, profileMessages, cliMessages, matchMessages, sftpMessages,
		periodsMessages,
		explainMessages,
		columnsMessages,
		flexMessages,
		documentMessages, documentProfileMessages,
	}
}

func lookup(code string) ([2]string, bool) {
	for _, cat := range catalogs() {
		if m, ok := cat[code]; ok {
			return m, true
		}
	}
	return [2]string{}, false
}

// N renders a count with its noun: code+".one" for one, code for any other number (catalog codes
// such as cli.n.run and cli.n.run.one: "1 run", "3 runs").
func (l Lang) N(n int, code string) string {
	if n == 1 {
		return l.T(code+".one", "1")
	}
	return l.T(code, strconv.Itoa(n))
}

// Months are the Dutch and English month names, for reading a date back in words.
func (l Lang) Month(m int) string {
	nl := []string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"}
	en := []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	if l == EN {
		return en[m-1]
	}
	return nl[m-1]
}

// messages: code → {Dutch, English}.
var messages = map[string][2]string{
	// Mapping: departments.
	"dept.duplicate":      {"afdeling komt twee keer voor in Koppel_Organisatie; de tweede is niet verwerkt", "department occurs twice in Koppel_Organisatie; the second was not processed"},
	"dept.self_parent":    {"afdeling %[1]s is haar eigen bovenliggende eenheid (Bovenliggende_eenheid); verwacht: een andere afdeling of leeg", "department %[1]s is its own parent (Bovenliggende_eenheid); expected another unit or empty"},
	"dept.cycle":          {"afdeling %[1]s ligt in een kring van bovenliggende eenheden (%[2]s); verwacht: een boom", "department %[1]s lies on a cycle of parents (%[2]s); expected a tree"},
	"dept.parent_missing": {"bovenliggende eenheid %[1]s bestaat niet in Koppel_Organisatie; afdeling geleverd zonder bovenliggende afdeling", "parent unit %[1]s does not exist in Koppel_Organisatie; department delivered without parent"},
	"field.invalid":       {"veld %[1]s: %[2]s", "field %[1]s: %[2]s"},
	"field.cleaned":       {"veld %[1]s: regeleinden of tabs vervangen door spaties", "field %[1]s: line breaks or tabs replaced by spaces"},
	// Mapping: employees and employments.
	"emp.duplicate":              {"medewerker komt twee keer voor in Koppel_Medewerkers; de tweede is niet verwerkt", "employee occurs twice in Koppel_Medewerkers; the second was not processed"},
	"emp.partner_missing":        {"Naamgebruik %[1]s vraagt de naam van de partner, maar Geboortenaam_partner is leeg; eigen naam gebruikt", "Naamgebruik %[1]s asks for the partner's name, but Geboortenaam_partner is empty; own name used"},
	"emp.bsn_invalid":            {"BSN voldoet niet aan de elfproef of heeft niet 8 of 9 cijfers; BSN leeg geleverd", "BSN fails the eleven-test or does not have 8 or 9 digits; delivered without BSN"},
	"dv.duplicate":               {"dienstverband komt twee keer voor (Medewerker, Dienstverband); de tweede rij is niet geleverd", "employment occurs twice (Medewerker, Dienstverband); the second row was not delivered"},
	"dv.employee_missing":        {"medewerker %[1]s staat niet in Koppel_Medewerkers", "employee %[1]s is not in Koppel_Medewerkers"},
	"dv.end_before_start":        {"Einddatum_contract %[1]s ligt voor Begindatum_contract %[2]s", "Einddatum_contract %[1]s is before Begindatum_contract %[2]s"},
	"dv.dept_missing":            {"Organisatorische_eenheid_code %[1]q staat niet in Koppel_Organisatie", "Organisatorische_eenheid_code %[1]q is not in Koppel_Organisatie"},
	"dv.salary_invalid":          {"salariskolom %[1]s: %[2]s; Salaris en SalarisSoort leeg geleverd", "salary column %[1]s: %[2]s; Salaris and SalarisSoort delivered empty"},
	"dv.salary_negative":         {"salariskolom %[1]s heeft een negatief bedrag (%[2]s); Salaris en SalarisSoort leeg geleverd", "salary column %[1]s holds a negative amount (%[2]s); Salaris and SalarisSoort delivered empty"},
	"abs.duplicate":              {"verzuimverloop komt twee keer voor (Verzuim_id, Verloop_id); de tweede rij is niet geleverd", "absence progress entry occurs twice (Verzuim_id, Verloop_id); the second row was not delivered"},
	"abs.employee_not_delivered": {"verzuim van medewerker %[1]s, die niet geleverd wordt (geen dienstverband vanaf de datum vanaf)", "absence of employee %[1]s, who is not delivered (no employment from the date-from)"},
	"abs.percentage_missing":     {"Percentage_aanwezig is leeg; verwacht een getal van 0 tot en met 100", "Percentage_aanwezig is empty; expected a number from 0 to 100"},
	"abs.percentage_range":       {"Percentage_aanwezig %[1]s ligt buiten 0–100", "Percentage_aanwezig %[1]s is outside 0–100"},
	"abs.classification_unknown": {"Type_verzuim %[1]q (%[2]s) is geen AFAS-classificatie en staat niet in de conversietabel; geleverd als Onbekend (AFAS)", "Type_verzuim %[1]q (%[2]s) is not an AFAS classification nor in the conversion table; delivered as Onbekend (AFAS)"},
	"user.login_missing":         {"leidinggevende heeft geen Email_werk; geen gebruikersaccount (Inlognaam) mogelijk", "manager has no Email_werk; no user account (Inlognaam) possible"},
	"user.login_too_long":        {"Email_werk is %[1]s tekens; een Inlognaam mag maximaal 32 tekens zijn", "Email_werk has %[1]s characters; an Inlognaam may have at most 32"},
	"user.login_duplicate":       {"Inlognaam %[1]s wordt al door een andere leidinggevende gebruikt", "Inlognaam %[1]s is already used by another manager"},
	// Engine.
	"run.unknown_profile":    {"onbekend profiel %[1]q (koppel profile list toont de opgeslagen profielen)", "unknown profile %[1]q (koppel profile list shows the saved ones)"},
	"run.coupling_disabled":  {"koppeling %[1]q staat niet aan in profiel %[2]s (aan: %[3]s)", "coupling %[1]q is not enabled in profile %[2]s (enabled: %[3]s)"},
	"run.fields_dropped":     {"GetConnector %[1]s levert velden buiten de whitelist (%[2]s); deze zijn niet gelezen of opgeslagen — laat ze verwijderen (privacy)", "GetConnector %[1]s sends fields beyond the whitelist (%[2]s); they were not read or stored — have them removed (privacy)"},
	"run.retry":              {"%[1]s: poging %[2]s mislukt (%[3]s); opnieuw over %[4]s", "%[1]s: attempt %[2]s failed (%[3]s); retrying in %[4]s"},
	"run.read":               {"%[1]s gelezen — rijen: %[2]s, pagina's: %[3]s", "%[1]s read — rows: %[2]s, pages: %[3]s"},
	"run.recovered":          {"levering %[1]s van een onderbroken run alsnog afgerond", "delivery %[1]s of an interrupted run completed"},
	"run.draft":              {"klantaccount %[1]s is een concept: maak het af in de wizard (e) of controleer wat ontbreekt met koppel verify %[1]s", "customer account %[1]s is a draft: finish it in the wizard (e), or see what is missing with koppel verify %[1]s"},
	"run.columns_added":      {"%[1]s regels van %[2]s staan als Gewijzigd geleverd omdat het bestand nieuwe kolommen heeft (eenmalig, na een update van koppel)", "%[1]s rows of %[2]s are delivered as changed because the file has new columns (once, after an update of koppel)"},
	"run.removal_not_sent":   {"verwijderd in AFAS, maar niet geleverd: het importbestand heeft geen mutatiekolom (mutation_column: none); lever compleet om het in Xpert Suite te verwerken", "removed in AFAS but not delivered: the import file has no mutation column (mutation_column: none); deliver compleet to have Xpert Suite process it"},
	"explain.unknown":        {"medewerker %[1]s staat niet in AFAS; bedoelt u: %[2]s", "employee %[1]s is not in AFAS; did you mean: %[2]s"},
	"explain.dv_ended":       {"niet geleverd: dienstverband eindigde %[1]s, vóór date_from %[2]s", "not delivered: the employment ended %[1]s, before date_from %[2]s"},
	"explain.dv_included":    {"geleverd: dienstverband loopt op of na date_from, afdeling %[1]s bestaat", "delivered: the employment runs on or after date_from, department %[1]s exists"},
	"explain.manager_own":    {"leidinggevende %[1]s: zoals in het dienstverband", "manager %[1]s: as given on the employment"},
	"explain.manager_dept":   {"leidinggevende %[1]s: de leidinggevende van de eigen afdeling %[2]s", "manager %[1]s: the manager of the own department %[2]s"},
	"explain.manager_parent": {"leidinggevende %[1]s: de leidinggevende van bovenliggende afdeling %[2]s (eigen afdeling %[3]s heeft er geen, of is het zelf)", "manager %[1]s: the manager of parent department %[2]s (own department %[3]s has none, or it is the employee)"},
	"explain.manager_none":   {"geen leidinggevende: afdeling %[1]s en de bovenliggende hebben er geen", "no manager: department %[1]s and its parents have none"},
	"explain.abs_history":    {"alleen gelezen voor de ziekteperiode: hersteld %[1]s, vóór date_from %[2]s", "read for the composite period only: recovered %[1]s, before date_from %[2]s"},
	"emp.no_employment":      {"medewerker niet geleverd: al zijn dienstverbanden zijn uitgevallen (zie Dienstverbanden)", "employee not delivered: all of their employments were rejected (see Employments)"},
	"run.failed_path":        {"%[1]s: %[2]s", "%[1]s: %[2]s"},
	"run.path_permission":    {"geen toegang (rechten)", "permission denied"},
	"run.path_missing":       {"bestaat niet", "does not exist"},
	"run.path_not_dir":       {"een deel van het pad is een bestand, geen map", "part of the path is a file, not a folder"},
	"run.path_full":          {"de schijf is vol", "the disk is full"},
	"run.path_other":         {"kan niet worden geschreven", "cannot be written"},
	"run.held":               {"profiel %[1]s wordt al gebruikt door koppel-proces %[2]s op %[3]s sinds %[4]s; wacht tot die run klaar is", "profile %[1]s is in use by koppel process %[2]s on %[3]s since %[4]s; wait for that run to finish"},
	"run.cancelled":          {"afgebroken: niets geleverd, vastgelegde stand ongewijzigd", "cancelled: nothing delivered, state unchanged"},
	"run.publish_failed":     {"levering %[1]s is vastgelegd maar de map kon niet worden hernoemd (%[2]s); de volgende run rondt dit af", "delivery %[1]s is recorded but its folder could not be renamed (%[2]s); the next run completes it"},
	"run.pending_failed":     {"levering %[1]s is afgerond maar de markering kon niet worden gewist (%[2]s); de volgende run ruimt dit op", "delivery %[1]s is complete but its mark could not be cleared (%[2]s); the next run clears it"},
	"run.cleaned":            {"onvolledige levering van een onderbroken run opgeruimd: %[1]s", "incomplete delivery of an interrupted run cleaned up: %[1]s"},
	"run.guard":              {"verwijderbeveiliging: %[1]s van %[2]s eerder geleverde records zouden verwijderd, gearchiveerd of gedeactiveerd worden (grens %[3]s%%); niets geleverd — controleer AFAS of draai opnieuw met --allow-deletes", "deletion guard: %[1]s of %[2]s records delivered before would be deleted, archived or deactivated (limit %[3]s%%); nothing delivered — check AFAS or run again with --allow-deletes"},
	"run.guard_allowed":      {"verwijderbeveiliging bewust overgeslagen: %[1]s van %[2]s records verwijderd, gearchiveerd of gedeactiveerd", "deletion guard overridden on purpose: %[1]s of %[2]s records deleted, archived or deactivated"},
	"run.all_rejected":       {"alle %[1]s records van %[2]s zijn uitgevallen; run mislukt, niets geleverd", "all %[1]s records of %[2]s were rejected; run failed, nothing delivered"},
	"run.delivered":          {"geleverd in %[1]s", "delivered in %[1]s"},
	"run.deactivated":        {"gebruikersaccount gedeactiveerd: geen leidinggevende meer", "user account deactivated: no longer a manager"},
	"run.failed":             {"run mislukt: %[1]s", "run failed: %[1]s"},
	"run.dry":                {"proefrun: niets geleverd, status niet bijgewerkt", "dry run: nothing delivered, state unchanged"},
	"stage.fetch":            {"ophalen, mappen en vergelijken", "fetching, mapping and comparing"},
	"stage.compare":          {"verwijderingen en beveiliging", "deletions and guard"},
	"stage.deliver":          {"leveren", "delivering"},
	"stage.commit":           {"vastleggen", "committing"},
	"stage.done":             {"klaar", "done"},
	"status.ok":              {"ok", "ok"},
	"status.failed":          {"mislukt", "failed"},
	"status.blocked":         {"geblokkeerd", "blocked"},
	"entity.departments":     {"Afdelingen", "Departments"},
	"entity.employees":       {"Medewerkers", "Employees"},
	"entity.employments":     {"Dienstverbanden", "Employments"},
	"entity.absences":        {"Verzuim", "Absences"},
	"entity.users":           {"Gebruikers", "Users"},
	"level.Metadata":         {"Metadata", "Metadata"},
	"level.Melding":          {"Melding", "Notice"},
	"level.Waarschuwing":     {"Waarschuwing", "Warning"},
	"level.Uitval":           {"Uitval", "Rejected"},
	// CLI.
	"cli.imported":          {"profiel opgeslagen:", "profile saved:"},
	"cli.deleted":           {"profiel verwijderd:", "profile deleted:"},
	"cli.profile_header":    {"PROFIEL\tKLANTACCOUNT\tKOPPELINGEN\tLAATSTE RUN\tSTATUS", "PROFILE\tACCOUNT\tCOUPLINGS\tLAST RUN\tSTATUS"},
	"cli.runs_header":       {"RUN\tPROFIEL\tGESTART\tKOPPELINGEN\tSTATUS\tDUUR\tGELEVERD", "RUN\tPROFILE\tSTARTED\tCOUPLINGS\tSTATUS\tDURATION\tDELIVERED"},
	"cli.counts_header":     {"\tgelezen\tgeleverd\tuitval\tnieuw\tgewijzigd\tongewijzigd\tverwijderd\t", "\tfetched\tdelivered\trejected\tnew\tchanged\tunchanged\tdeleted\t"},
	"cli.blocked":           {"run geblokkeerd door de verwijderbeveiliging; niets geleverd", "run blocked by the deletion guard; nothing delivered"},
	"cli.more_in_log":       {"meer in het logboek van de run (koppel runs show)", "more in the run's log (koppel runs show)"},
	"cli.more_changes":      {"wijzigingen meer (alle met --json)", "more changes (all with --json)"},
	"cli.changes":           {"Wijzigingen", "Changes"},
	"cli.more_json":         {"meer met --json", "more with --json"},
	"verify.unreachable":    {"AFAS is niet bereikbaar (controleer deelnemernummer, omgeving of URL): %[1]s", "AFAS cannot be reached (check participant number, environment or URL): %[1]s"},
	"verify.token_ok":       {"geaccepteerd door AFAS", "accepted by AFAS"},
	"verify.token_bad":      {"geweigerd door AFAS", "refused by AFAS"},
	"verify.ok":             {"geïnstalleerd en compleet", "installed and complete"},
	"verify.missing":        {"ontbreekt", "missing"},
	"verify.not-authorized": {"niet geautoriseerd in de App Connector", "not authorised in the App Connector"},
	"verify.fields-missing": {"velden ontbreken", "fields missing"},
	"verify.extra-fields":   {"velden buiten de whitelist (privacy)", "fields beyond the whitelist (privacy)"},
	"verify.error":          {"fout", "error"},
	"verify.skipped":        {"niet gecontroleerd", "not checked"},
	"verify.missing_fields": {"ontbrekend: %[1]s", "missing: %[1]s"},
	"verify.extra_fields":   {"te veel: %[1]s — laat deze velden uit de GetConnector halen", "beyond the whitelist: %[1]s — have these fields removed from the GetConnector"},
	"verify.failed":         {"controle niet geslaagd", "check failed"},
}
