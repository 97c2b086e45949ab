package main

import (
	"os"
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

func TestFindsEveryOptionSet(t *testing.T) {
	enums, err := find("../..")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"CustomerType": false, "Industry": false, "Ownership": false,
		"AccountState": true, "AccountStatus": false, "ContactState": true, "ContactStatus": false}
	if len(enums) != len(want) {
		t.Fatalf("found %d option sets, want %d: %+v", len(enums), len(want), enums)
	}
	for _, e := range enums {
		state, ok := want[e.Type]
		if !ok || state != e.State {
			t.Errorf("unexpected %+v", e)
		}
	}
}
