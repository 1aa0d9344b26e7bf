package params

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The structs mirror Dataflow's TemplateMetadata / ParameterMetadata JSON
// (the flex-template spec), field names included. Only the fields this
// template uses are declared.
type templateMetadata struct {
	Name                string              `json:"name"`
	Description         string              `json:"description,omitempty"`
	Streaming           bool                `json:"streaming,omitempty"`
	SupportsAtLeastOnce bool                `json:"supportsAtLeastOnce,omitempty"`
	Parameters          []parameterMetadata `json:"parameters"`
}

type parameterMetadata struct {
	Name     string `json:"name"`
	Label    string `json:"label,omitempty"`
	HelpText string `json:"helpText,omitempty"`
	// Always written: Dataflow treats a missing isOptional as false, but an
	// explicit value keeps the file readable and the intent unambiguous.
	IsOptional   bool         `json:"isOptional"`
	Regexes      []string     `json:"regexes,omitempty"`
	ParamType    string       `json:"paramType,omitempty"`
	DefaultValue string       `json:"defaultValue,omitempty"`
	EnumOptions  []enumOption `json:"enumOptions,omitempty"`
}

type enumOption struct {
	Value       string `json:"value"`
	Label       string `json:"label,omitempty"`
	Description string `json:"description,omitempty"`
}

const (
	TemplateName        = "Spanner_to_SourceDb (Go)"
	TemplateDescription = "Streams changes from a Spanner database, read through a change stream, back to the source database (MySQL or PostgreSQL) of a migration, so the source stays current and can take traffic back. A Go / Apache Beam port of the Spanner_to_SourceDb template."
)

// Metadata returns the flex-template metadata.json: indented, ending in a
// newline and byte-for-byte deterministic so the checked-in copy can be
// compared against it.
func Metadata() ([]byte, error) {
	md := templateMetadata{
		Name:                TemplateName,
		Description:         TemplateDescription,
		Streaming:           true,
		SupportsAtLeastOnce: true,
	}
	for _, p := range Definitions() {
		pm := parameterMetadata{
			Name:         p.Name,
			Label:        p.Label,
			HelpText:     p.Description(),
			IsOptional:   !p.Required,
			Regexes:      p.Regexes,
			ParamType:    p.ParamType,
			DefaultValue: p.Default,
		}
		for _, v := range p.Enum {
			opt := enumOption{Value: v}
			if p.NotSupportedYet != nil {
				if reason := p.NotSupportedYet(v); reason != "" {
					opt.Description = sentence(reason)
				}
			}
			pm.EnumOptions = append(pm.EnumOptions, opt)
		}
		md.Parameters = append(md.Parameters, pm)
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Help texts contain <project>-style placeholders; keep them readable.
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(md); err != nil {
		return nil, fmt.Errorf("encoding metadata.json: %w", err)
	}
	return buf.Bytes(), nil
}
