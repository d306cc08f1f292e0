package matching

import (
	"strings"
	"time"
	"unicode"
)

// Normalisation for the `naam` method (matching.md): lower case, diacritics removed, prefixes
// and non-letters dropped. Only the standard library is used: precomposed Latin letters are
// folded by foldRune, combining marks (decomposed input) are dropped.

// NormalizeSurname returns the form in which two surnames are compared: lower case, without
// diacritics, without prefix words (van, de, der, den, het, 't, ter, ten, …, see isPrefix) and
// without anything that is not a letter. "Jansen - van der Berg", "jansen-v.d. Berg" and
// "JANSEN-VAN DER BERG" all become "jansenberg"; "'t Hart" and "Hart, 't" become "hart".
// A name made of prefix words only ("Van", "Ten") keeps them, so it never becomes empty.
func NormalizeSurname(s string) string {
	words := letterWords(s)
	kept := make([]string, 0, len(words))
	for _, w := range words {
		if !isPrefix(w) {
			kept = append(kept, w)
		}
	}
	if len(kept) == 0 {
		kept = words
	}
	return strings.Join(kept, "")
}

// initial is the first letter of Voorletters, normalised like a surname ("É.J." → "e",
// "Th." → "t"); empty when there is none.
func initial(voorletters string) string {
	words := letterWords(voorletters)
	if len(words) == 0 {
		return ""
	}
	return words[0][:1]
}

// letterWords lower-cases s, folds diacritics and splits it into runs of letters; every
// non-letter (space, hyphen, dot, apostrophe, digit) ends a word.
func letterWords(s string) []string {
	var words []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			words = append(words, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) {
			continue // a combining mark (decomposed diacritic): drop it, keep the word
		}
		r = unicode.ToLower(r)
		if f := foldRune(r); f != "" {
			cur.WriteString(f)
			continue
		}
		if unicode.IsLetter(r) {
			cur.WriteRune(r)
			continue
		}
		flush()
	}
	flush()
	return words
}

// isPrefix reports whether a normalised word is a surname prefix (voorvoegsel). The list holds
// the Dutch prefixes and the foreign ones common in the Netherlands; apostrophe forms appear
// without the apostrophe ('t → t, 's → s, d' → d, l' → l).
func isPrefix(w string) bool {
	switch w {
	case "van", "de", "der", "den", "het", "t", "s", "ter", "ten", "te", "in", "op", "aan", "af",
		"bij", "onder", "over", "tot", "uit", "uijt", "voor", "vd", "v",
		"d", "l", "la", "le", "les", "du", "des", "da", "di", "del", "della", "do", "dos", "das",
		"von", "vom", "zu", "zum", "zur", "am", "im", "auf":
		return true
	}
	return false
}

// foldRune maps a lower-case precomposed Latin letter with a diacritic (or a ligature) to plain
// letters; it returns "" for any other rune.
func foldRune(r rune) string {
	switch r {
	case 'à', 'á', 'â', 'ã', 'ä', 'å', 'ā', 'ă', 'ą':
		return "a"
	case 'æ':
		return "ae"
	case 'ç', 'ć', 'ĉ', 'ċ', 'č':
		return "c"
	case 'ď', 'đ', 'ð':
		return "d"
	case 'è', 'é', 'ê', 'ë', 'ē', 'ĕ', 'ė', 'ę', 'ě':
		return "e"
	case 'ĝ', 'ğ', 'ġ', 'ģ':
		return "g"
	case 'ĥ', 'ħ':
		return "h"
	case 'ì', 'í', 'î', 'ï', 'ĩ', 'ī', 'ĭ', 'į', 'ı':
		return "i"
	case 'ĳ':
		return "ij"
	case 'ĵ':
		return "j"
	case 'ķ':
		return "k"
	case 'ĺ', 'ļ', 'ľ', 'ŀ', 'ł':
		return "l"
	case 'ñ', 'ń', 'ņ', 'ň', 'ŉ':
		return "n"
	case 'ò', 'ó', 'ô', 'õ', 'ö', 'ø', 'ō', 'ŏ', 'ő':
		return "o"
	case 'œ':
		return "oe"
	case 'ŕ', 'ŗ', 'ř':
		return "r"
	case 'ś', 'ŝ', 'ş', 'š', 'ș':
		return "s"
	case 'ß':
		return "ss"
	case 'ţ', 'ť', 'ŧ', 'ț':
		return "t"
	case 'þ':
		return "th"
	case 'ù', 'ú', 'û', 'ü', 'ũ', 'ū', 'ŭ', 'ů', 'ű', 'ų':
		return "u"
	case 'ŵ':
		return "w"
	case 'ý', 'ÿ', 'ŷ':
		return "y"
	case 'ź', 'ż', 'ž':
		return "z"
	}
	return ""
}

// day is a date without time of day or location, for comparing dates; "" for the zero time.
func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}
