package crmtest

import "strings"

// Diagrams returns the Mermaid state diagrams in the code blocks of a
// package's doc comment (the source of its doc.go), without the comment
// markers: what a domain package's test compares with the diagrams its
// lifecycle tables draw, so the docs never lie about the state machines.
func Diagrams(src string) []string {
	var out []string
	var cur *strings.Builder
	for _, line := range strings.Split(src, "\n") {
		code, isCode := strings.CutPrefix(line, "//\t")
		switch {
		case isCode && code == "stateDiagram-v2":
			cur = &strings.Builder{}
			cur.WriteString(code + "\n")
		case isCode && cur != nil:
			cur.WriteString(code + "\n")
		case cur != nil:
			out = append(out, cur.String())
			cur = nil
		}
	}
	return out
}
