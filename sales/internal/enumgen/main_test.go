package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestGeneratedFileIsCurrent(t *testing.T) {
	want, err := generate("../..")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../enums_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatal("sales/enums_gen.go is stale: run go generate ./sales")
	}
}

// find sees every option set the package declares, counted here by the
// text of their declarations, and tells state sets from the others.
func TestFindsEveryOptionSet(t *testing.T) {
	enums, err := find("../..")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../../*.go")
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{} // type → made by stateSet
	decl := regexp.MustCompile(`(?m)^var \w+ = (newOptionSet|stateSet)\[(\w+)\]`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			declared[m[2]] = m[1] == "stateSet"
		}
	}
	for _, known := range []string{"CustomerType", "Industry", "Ownership", "AccountState", "AccountStatus", "ContactState", "ContactStatus"} {
		if _, ok := declared[known]; !ok {
			t.Errorf("the count missed %s: fix the test's pattern", known)
		}
	}
	if len(enums) != len(declared) {
		t.Fatalf("found %d option sets, the sources declare %d: %+v", len(enums), len(declared), enums)
	}
	for _, e := range enums {
		state, ok := declared[e.Type]
		if !ok || state != e.State {
			t.Errorf("unexpected %+v", e)
		}
	}
}
