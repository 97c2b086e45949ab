// Package textfmt formats figures for the examples' printed reports.
package textfmt

import "strings"

// Thousands puts a comma between each group of three digits of the whole
// part of the decimal number s: "-1234567.50" becomes "-1,234,567.50".
func Thousands(s string) string {
	sign := ""
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		sign, s = "-", rest
	}
	whole, frac, dot := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if dot {
		b.WriteString("." + frac)
	}
	return b.String()
}
