package target

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// TLSPolicy is disabledAlgorithms (the Java template's
// jdk.tls.disabledAlgorithms-style list) as settings of the TLS
// connections to the shards. Go's TLS stack never offers SSL, RC4, DES,
// 3DES, export, anonymous or NULL suites by default and never accepts MD5
// or SHA-1 certificate signatures; the policy only adds to that.
type TLSPolicy struct {
	// MinVersion and MaxVersion bound the protocol (0: Go's defaults,
	// TLS 1.2 to 1.3).
	MinVersion, MaxVersion uint16
	// Excluded are TLS 1.2 cipher suites not offered.
	Excluded []uint16
	// MinRSABits and MinECBits reject server certificates with smaller
	// keys (0: Go's own checks only).
	MinRSABits, MinECBits int
}

// IsZero reports a policy that changes nothing.
func (p TLSPolicy) IsZero() bool {
	return p.MinVersion == 0 && p.MaxVersion == 0 && len(p.Excluded) == 0 && p.MinRSABits == 0 && p.MinECBits == 0
}

// String is a canonical form, part of the name a TLS configuration is
// registered under.
func (p TLSPolicy) String() string {
	return fmt.Sprintf("min=%x max=%x excl=%v rsa=%d ec=%d", p.MinVersion, p.MaxVersion, p.Excluded, p.MinRSABits, p.MinECBits)
}

// Apply sets the policy on c.
func (p TLSPolicy) Apply(c *tls.Config) {
	c.MinVersion, c.MaxVersion = p.MinVersion, p.MaxVersion
	if len(p.Excluded) > 0 {
		for _, s := range tls.CipherSuites() {
			if !slices.Contains(p.Excluded, s.ID) && slices.Contains(s.SupportedVersions, tls.VersionTLS12) {
				c.CipherSuites = append(c.CipherSuites, s.ID)
			}
		}
	}
}

// WithVersions narrows the policy's protocol versions to minV and maxV
// (enabledTLSProtocols; 0: no bound), refusing bounds that leave no
// version.
func (p TLSPolicy) WithVersions(minV, maxV uint16) (TLSPolicy, error) {
	if minV > p.MinVersion {
		p.MinVersion = minV
	}
	if maxV != 0 && (p.MaxVersion == 0 || maxV < p.MaxVersion) {
		p.MaxVersion = maxV
	}
	if p.MaxVersion != 0 && p.MinVersion > p.MaxVersion {
		return TLSPolicy{}, errors.New("connectionProperties: enabledTLSProtocols and disabledAlgorithms leave no TLS version to connect with")
	}
	return p, nil
}

// CheckKeys rejects a server certificate chain with keys smaller than
// the policy allows.
func (p TLSPolicy) CheckKeys(chain []*x509.Certificate) error {
	for _, c := range chain {
		switch k := c.PublicKey.(type) {
		case *rsa.PublicKey:
			if p.MinRSABits > 0 && k.N.BitLen() < p.MinRSABits {
				return fmt.Errorf("certificate %q has a %d-bit RSA key, and disabledAlgorithms requires at least %d", c.Subject, k.N.BitLen(), p.MinRSABits)
			}
		case *ecdsa.PublicKey:
			if n := k.Curve.Params().BitSize; p.MinECBits > 0 && n < p.MinECBits {
				return fmt.Errorf("certificate %q has a %d-bit EC key, and disabledAlgorithms requires at least %d", c.Subject, n, p.MinECBits)
			}
		}
	}
	return nil
}

var (
	keySizeRule = regexp.MustCompile(`^(RSA|EC|DH|DSA|RSASSA-PSS)\s+keySize\s*(<=|<)\s*([0-9]+)$`)
	// alwaysOff are algorithms Go's TLS client never uses: naming them
	// is accepted and changes nothing.
	alwaysOff = map[string]string{
		"SSLv2Hello": "", "SSLv3": "", "DES": "", "DES40_CBC": "", "RC4_40": "", "NULL": "", "anon": "",
		"DH_anon": "", "ECDH_anon": "", "ECDH": "", "KRB5": "", "MD5withRSA": "", "MD5": "", "MD2": "",
		"include jdk.disabled.namedCurves": "",
	}
	versions = map[string]uint16{
		"TLSv1": tls.VersionTLS10, "TLSv1.1": tls.VersionTLS11, "TLSv1.2": tls.VersionTLS12, "TLSv1.3": tls.VersionTLS13,
	}
)

// TLSVersion is the protocol version of a JDK name (TLSv1 ... TLSv1.3).
func TLSVersion(name string) (uint16, bool) {
	v, ok := versions[name]
	return v, ok
}

// ParseDisabledAlgorithms reads disabledAlgorithms: names separated by
// commas, as in jdk.tls.disabledAlgorithms; empty or "none" disables
// nothing. Understood are protocol versions (SSLv3, TLSv1 ... TLSv1.3),
// cipher suite names and name parts (RC4, 3DES_EDE_CBC, CBC,
// TLS_RSA_WITH_AES_128_CBC_SHA, TLS_RSA_* ...), key size rules
// ("RSA keySize < 2048", "EC keySize < 256", DH and DSA: nothing to do),
// SHA-1 certificate rules ("SHA1 jdkCA & usage TLSServer") and the
// algorithms Go never uses (DES, NULL, anon, MD5withRSA ...). Anything
// else is refused, naming the entry. Errors do not name the parameter.
func ParseDisabledAlgorithms(list string) (TLSPolicy, error) {
	var p TLSPolicy
	if v := strings.TrimSpace(list); v == "" || strings.EqualFold(v, "none") {
		return p, nil
	}
	disabled := map[uint16]bool{}
	tls13Suites := false
	for _, e := range strings.Split(list, ",") {
		e = strings.Join(strings.Fields(e), " ")
		if e == "" {
			continue
		}
		if v, ok := versions[e]; ok {
			disabled[v] = true
			continue
		}
		if _, ok := alwaysOff[e]; ok {
			continue
		}
		if strings.HasPrefix(e, "SHA1 ") {
			continue // Go never accepts SHA-1 certificate signatures
		}
		if m := keySizeRule.FindStringSubmatch(e); m != nil {
			n, err := strconv.Atoi(m[3])
			if err != nil {
				return TLSPolicy{}, fmt.Errorf("%q: %w", e, err)
			}
			if m[2] == "<=" {
				n++
			}
			switch m[1] {
			case "RSA", "RSASSA-PSS":
				p.MinRSABits = max(p.MinRSABits, n)
			case "EC":
				p.MinECBits = max(p.MinECBits, n)
			}
			// DH, DSA: Go's client offers no DHE suites and accepts no
			// DSA certificates.
			continue
		}
		ids, names13 := matchSuites(e)
		if len(ids) == 0 && !names13 {
			return TLSPolicy{}, fmt.Errorf("%q is not understood; use protocol versions (TLSv1.2), cipher suite names or parts (RC4, 3DES_EDE_CBC, TLS_RSA_*) or key size rules (RSA keySize < 2048)", e)
		}
		tls13Suites = tls13Suites || names13
		for _, id := range ids {
			if !slices.Contains(p.Excluded, id) {
				p.Excluded = append(p.Excluded, id)
			}
		}
	}
	slices.Sort(p.Excluded)
	if tls13Suites && !disabled[tls.VersionTLS13] {
		return TLSPolicy{}, fmt.Errorf("TLS 1.3 cipher suites cannot be switched off one by one here; disable TLSv1.3 instead")
	}
	// Go's client speaks TLS 1.2 and 1.3 only.
	switch {
	case disabled[tls.VersionTLS12] && disabled[tls.VersionTLS13]:
		return TLSPolicy{}, errors.New("TLSv1.2 and TLSv1.3 are both disabled, which leaves no protocol version this template connects with")
	case disabled[tls.VersionTLS12]:
		p.MinVersion = tls.VersionTLS13
	case disabled[tls.VersionTLS13]:
		p.MaxVersion = tls.VersionTLS12
	}
	if p.MaxVersion == tls.VersionTLS12 && len(p.Excluded) > 0 && len(remainingTLS12(p.Excluded)) == 0 {
		return TLSPolicy{}, errors.New("every TLS 1.2 cipher suite and TLSv1.3 are disabled")
	}
	if p.MinVersion == tls.VersionTLS13 {
		p.Excluded = nil // TLS 1.2 suites are never used
	} else if len(p.Excluded) > 0 && len(remainingTLS12(p.Excluded)) == 0 {
		p.MinVersion, p.Excluded = tls.VersionTLS13, nil
	}
	return p, nil
}

// matchSuites returns the TLS 1.2 cipher suites (Go's secure and insecure
// ones) an entry names: the whole name, a name ending in * as a prefix,
// or a part between underscores (RC4, 3DES_EDE_CBC, CBC, SHA).
// names13 reports that the entry also names TLS 1.3 suites, which Go
// cannot switch off one by one.
func matchSuites(e string) (ids []uint16, names13 bool) {
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		var hit bool
		if prefix, ok := strings.CutSuffix(e, "*"); ok {
			hit = strings.HasPrefix(s.Name, prefix)
		} else {
			hit = s.Name == e || strings.Contains(s.Name+"_", "_"+e+"_")
		}
		if !hit {
			continue
		}
		if slices.Equal(s.SupportedVersions, []uint16{tls.VersionTLS13}) {
			names13 = true
			continue
		}
		ids = append(ids, s.ID)
	}
	return ids, names13
}

// remainingTLS12 are the secure TLS 1.2 suites left after excluding some.
func remainingTLS12(excluded []uint16) []uint16 {
	var out []uint16
	for _, s := range tls.CipherSuites() {
		if slices.Contains(s.SupportedVersions, tls.VersionTLS12) && !slices.Contains(excluded, s.ID) {
			out = append(out, s.ID)
		}
	}
	return out
}

// Harden applies the policy to c, a TLS configuration built by another
// driver (the PostgreSQL target's): protocol versions, TLS 1.2 cipher
// suites, and the key sizes of the server's certificates, checked after
// c's own verification.
func (p TLSPolicy) Harden(c *tls.Config) {
	if p.IsZero() {
		return
	}
	p.Apply(c)
	prev := c.VerifyConnection
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		if prev != nil {
			if err := prev(cs); err != nil {
				return err
			}
		}
		return p.CheckKeys(cs.PeerCertificates)
	}
}
