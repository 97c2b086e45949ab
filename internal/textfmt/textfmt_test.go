package textfmt

import "testing"

func TestThousands(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0", "999": "999", "1000": "1,000", "-1234567.50": "-1,234,567.50",
		"123456": "123,456", "12.345": "12.345", "-0.84": "-0.84", "1000000": "1,000,000",
	} {
		if got := Thousands(in); got != want {
			t.Errorf("Thousands(%q) = %q, want %q", in, got, want)
		}
	}
}
