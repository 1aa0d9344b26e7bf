package target

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"
)

func TestParseDisabledAlgorithms(t *testing.T) {
	rc4 := tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA
	cbc := tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
	rsaKex := tls.TLS_RSA_WITH_AES_128_GCM_SHA256
	tests := []struct {
		list     string
		check    func(TLSPolicy) bool
		wantErr  string
		wantZero bool
	}{
		{list: "", wantZero: true},
		{list: "none", wantZero: true},
		// The JDK 17 default list: nothing beyond Go's own defaults.
		{list: "SSLv3, TLSv1, TLSv1.1, RC4, DES, MD5withRSA, DH keySize < 1024, EC keySize < 224, 3DES_EDE_CBC, anon, NULL, include jdk.disabled.namedCurves",
			check: func(p TLSPolicy) bool {
				return p.MinVersion == 0 && p.MaxVersion == 0 && slices.Contains(p.Excluded, rc4) && p.MinECBits == 224
			}},
		{list: "TLSv1.3", check: func(p TLSPolicy) bool { return p.MaxVersion == tls.VersionTLS12 }},
		{list: "TLSv1.2", check: func(p TLSPolicy) bool { return p.MinVersion == tls.VersionTLS13 }},
		{list: "CBC", check: func(p TLSPolicy) bool {
			return slices.Contains(p.Excluded, cbc) && !slices.Contains(p.Excluded, rsaKex)
		}},
		{list: "TLS_RSA_*", check: func(p TLSPolicy) bool {
			return slices.Contains(p.Excluded, rsaKex) && !slices.Contains(p.Excluded, cbc)
		}},
		{list: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", check: func(p TLSPolicy) bool { return slices.Equal(p.Excluded, []uint16{cbc}) }},
		{list: "RSA keySize < 2048, EC keySize <= 256", check: func(p TLSPolicy) bool { return p.MinRSABits == 2048 && p.MinECBits == 257 }},
		{list: "SHA1 jdkCA & usage TLSServer", wantZero: true},
		{list: "TLSv1.2, TLSv1.3", wantErr: "leaves no protocol version"},
		{list: "TLS_AES_128_GCM_SHA256", wantErr: "disable TLSv1.3 instead"},
		{list: "TLS_AES_128_GCM_SHA256, TLSv1.3", check: func(p TLSPolicy) bool { return p.MaxVersion == tls.VersionTLS12 }},
		{list: "SSLv3, Blowfish", wantErr: `"Blowfish" is not understood`},
	}
	for _, tt := range tests {
		p, err := ParseDisabledAlgorithms(tt.list)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseDisabledAlgorithms(%q) = %v, %v; want error %q", tt.list, p, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("ParseDisabledAlgorithms(%q): %v", tt.list, err)
		case tt.wantZero && !p.IsZero():
			t.Errorf("ParseDisabledAlgorithms(%q) = %v, want no change", tt.list, p)
		case tt.check != nil && !tt.check(p):
			t.Errorf("ParseDisabledAlgorithms(%q) = %v", tt.list, p)
		}
	}
}
