package store

import (
	"errors"
	"math/big"
	"testing"
)

func TestSerialText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      *big.Int
		want    string
		wantErr error
	}{
		{"one", big.NewInt(1), "1", nil},
		{"leading zero octets vanish", new(big.Int).SetBytes([]byte{0x00, 0x00, 0x0a, 0xbc}), "abc", nil},
		{"lowercase", big.NewInt(0xABCDEF), "abcdef", nil},
		{"20 octets", new(big.Int).SetBytes(append([]byte{0x7f}, make([]byte, 19)...)), "7f" + zeros(38), nil},
		{"21 octets", new(big.Int).SetBytes(append([]byte{0x01}, make([]byte, 20)...)), "", ErrInvalid},
		{"zero", new(big.Int), "", ErrInvalid},
		{"negative", big.NewInt(-1), "", ErrInvalid},
		{"nil", nil, "", ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := serialText(tc.in)
			if !errors.Is(err, tc.wantErr) || got != tc.want {
				t.Fatalf("serialText(%v) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.wantErr)
			}
			if err == nil {
				back, err := parseSerial(got)
				if err != nil || back.Cmp(tc.in) != 0 {
					t.Fatalf("parseSerial(%q) = %v, %v; want %v", got, back, err, tc.in)
				}
			}
		})
	}
}

func zeros(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0'
	}
	return string(b)
}
