package params

// Kind says how a parameter's raw string is parsed. Every parameter arrives as
// a string (the flex-template launcher passes --name=value), so the kind is
// what turns it into a typed Config field and picks the format check.
type Kind int

const (
	String       Kind = iota // free text, taken as given
	Int                      // base-10 integer (int64)
	Bool                     // exactly "true" or "false"
	Enum                     // one of Param.Enum
	Timestamp                // RFC 3339, fractional seconds allowed
	Offset                   // UTC offset "+HH:MM" / "-HH:MM"
	Subscription             // Pub/Sub subscription "projects/<p>/subscriptions/<s>"
)

func (k Kind) String() string {
	switch k {
	case String:
		return "string"
	case Int:
		return "int"
	case Bool:
		return "bool"
	case Enum:
		return "enum"
	case Timestamp:
		return "timestamp"
	case Offset:
		return "offset"
	case Subscription:
		return "subscription"
	}
	return "unknown"
}

// Param is the definition of one launch parameter.
type Param struct {
	Name     string
	Label    string
	HelpText string
	// Default is written as the user would type it; "" means none. It is what
	// Parse uses when the parameter is absent.
	Default  string
	Required bool
	// Advanced puts an optional parameter in the "advanced" group of --help
	// (custom code, renames, fine tuning) rather than the "common" one.
	// Required parameters are always in the "required" group.
	Advanced bool
	Kind     Kind
	// Enum lists every value Parse recognises for an Enum parameter, including
	// values that are rejected as not supported yet, so users get a precise
	// message instead of "unknown value".
	Enum []string
	// Regexes end up in metadata.json, where Dataflow checks them before the
	// job starts. They must never be stricter than Parse; they may be looser.
	Regexes []string
	// ParamType is the flex-template paramType (TEXT, NUMBER, BOOLEAN, ENUM,
	// GCS_READ_FILE, GCS_WRITE_FOLDER, PUBSUB_SUBSCRIPTION, ...); it only
	// affects how the Dataflow console renders the field.
	ParamType string
	// Check runs after the value parsed for its Kind and reports a
	// parameter-specific problem as a phrase completing `value "v" ...`,
	// e.g. "must be greater than 0". Empty means fine.
	Check func(value string) string
	// NotSupportedYet, when set and returning a non-empty reason for a given
	// value, makes validation reject that value as not supported yet. It is
	// filled from the notYet table in unsupported.go, never by hand here.
	NotSupportedYet func(value string) string
}

// Group is the section of --help a parameter is listed in.
type Group int

const (
	GroupRequired Group = iota // must be set on every launch
	GroupCommon                // optional, set by most deployments
	GroupAdvanced              // optional, for custom code, renames and tuning
)

// Groups lists every group in the order --help prints them.
var Groups = []Group{GroupRequired, GroupCommon, GroupAdvanced}

func (g Group) String() string {
	switch g {
	case GroupRequired:
		return "Required parameters"
	case GroupCommon:
		return "Common parameters"
	case GroupAdvanced:
		return "Advanced parameters"
	}
	return "Other parameters"
}

// Group returns the --help section of the parameter.
func (p Param) Group() Group {
	switch {
	case p.Required:
		return GroupRequired
	case p.Advanced:
		return GroupAdvanced
	}
	return GroupCommon
}

// Lookup returns the definition of the named parameter.
func Lookup(name string) (Param, bool) {
	for _, p := range Definitions() {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}
