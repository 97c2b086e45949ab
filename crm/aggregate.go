package crm

// Label returns the display text of the group key at alias, when its
// GroupBy asked for it (Label): the primary name of the record a lookup
// key points at, the option label of a choice key. It is "" for a null
// key, a record without a name, a record that no longer exists, or a
// choice value the field has no option for.
func (r AggregateRow) Label(alias string) string {
	s, _ := r[alias+LabelSuffix].(string)
	return s
}
