package params

import "flag"

// Register defines every parameter as a string flag on fs. Strings rather
// than typed flags because the flex-template launcher passes --name=value
// text, and a typed flag would abort fs.Parse on the first bad value instead
// of letting Parse report every problem at once.
//
// The returned function, called after fs.Parse, yields only the flags that
// were actually set, so Parse can tell "absent" (use the default) from an
// explicitly empty value.
func Register(fs *flag.FlagSet) func() Values {
	vals := make(map[string]*string)
	for _, p := range Definitions() {
		usage := p.HelpText
		if p.Required {
			usage = "(required) " + usage
		}
		vals[p.Name] = fs.String(p.Name, p.Default, usage)
	}
	return func() Values {
		out := Values{}
		fs.Visit(func(f *flag.Flag) {
			if v, ok := vals[f.Name]; ok {
				out[f.Name] = *v
			}
		})
		return out
	}
}
