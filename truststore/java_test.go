package truststore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/truststore"
)

func keytoolList(t *testing.T, keytool, keystore, pass string) string {
	t.Helper()
	return testkit.Run(t, "", keytool, "-J-Duser.language=en", "-list", "-keystore", keystore, "-storepass", pass).Stdout
}

func TestJavaKeystore(t *testing.T) {
	keytool := testkit.Tool(t, "keytool")
	t.Parallel()
	ctx := context.Background()
	ks := filepath.Join(t.TempDir(), "truststore.p12")
	o := truststore.Options{Stores: []string{"java"}, JavaKeystore: ks, JavaStorepass: "s3cret-pass"}
	ca, other := newCA(t, "Java Root CA"), newCA(t, "Other Java Root CA")
	name, otherName := truststore.Name(ca.cert), truststore.Name(other.cert)

	res, err := truststore.Status(ctx, ca.cert, o)
	if r := only(t, res, err); r.Installed || r.Note != "not installed" {
		t.Fatalf("status without a keystore: %+v", r)
	}
	res, err = truststore.Install(ctx, ca.cert, o)
	if r := only(t, res, err); !r.Installed || !r.Changed || r.Location != ks || !strings.Contains(r.Note, "created") {
		t.Fatalf("install: %+v", r)
	}
	if _, err := truststore.Install(ctx, other.cert, o); err != nil {
		t.Fatal(err)
	}
	res, err = truststore.Install(ctx, ca.cert, o)
	if r := only(t, res, err); !r.Installed || r.Changed {
		t.Fatalf("second install: %+v", r)
	}
	list := keytoolList(t, keytool, ks, "s3cret-pass")
	if !strings.Contains(list, "Your keystore contains 2 entries") || !strings.Contains(list, name+",") ||
		!strings.Contains(list, otherName+",") || !strings.Contains(list, "trustedCertEntry") {
		t.Fatalf("keytool -list after installing twice and a second CA:\n%s", list)
	}
	res, err = truststore.Status(ctx, ca.cert, o)
	if r := only(t, res, err); !r.Installed {
		t.Fatalf("status: %+v", r)
	}

	// A wrong password is keytool's error, reported, never taken for "not installed".
	bad := o
	bad.JavaStorepass = "wrong"
	res, err = truststore.Status(ctx, ca.cert, bad)
	if err == nil || !strings.Contains(err.Error(), "password was incorrect") || res[0].Installed {
		t.Fatalf("status with a wrong storepass: %+v %v", res, err)
	}

	res, err = truststore.Uninstall(ctx, ca.cert, o)
	if r := only(t, res, err); r.Installed || !r.Changed {
		t.Fatalf("uninstall: %+v", r)
	}
	list = keytoolList(t, keytool, ks, "s3cret-pass")
	if strings.Contains(list, name+",") || !strings.Contains(list, otherName+",") {
		t.Fatalf("keytool -list after uninstall:\n%s", list)
	}
	res, err = truststore.Uninstall(ctx, ca.cert, o)
	if r := only(t, res, err); r.Changed || r.Note != "not installed" {
		t.Fatalf("second uninstall: %+v", r)
	}
}

// Without a keystore named, cacerts is found in the Java home, which must already have one.
func TestJavaHomeCacerts(t *testing.T) {
	keytool := testkit.Tool(t, "keytool")
	t.Parallel()
	ctx := context.Background()
	home := t.TempDir()
	o := truststore.Options{Stores: []string{"java"}, JavaHome: home}
	ca := newCA(t, "Java Home Root CA")
	if _, err := truststore.Install(ctx, ca.cert, o); err == nil || !strings.Contains(err.Error(), "no cacerts keystore") {
		t.Fatalf("install into a Java home without cacerts: %v", err)
	}
	cacerts := filepath.Join(home, "lib", "security", "cacerts")
	if err := os.MkdirAll(filepath.Dir(cacerts), 0o755); err != nil {
		t.Fatal(err)
	}
	seed := newCA(t, "Seed CA")
	writePEM(t, filepath.Join(home, "seed.pem"), seed.cert)
	testkit.Run(t, "", keytool, "-importcert", "-noprompt", "-keystore", cacerts, "-storepass", "changeit", "-alias", "seed", "-file", filepath.Join(home, "seed.pem"))
	res, err := truststore.Install(ctx, ca.cert, o)
	if r := only(t, res, err); !r.Installed || r.Location != cacerts {
		t.Fatalf("install: %+v", r)
	}
	if list := keytoolList(t, keytool, cacerts, "changeit"); !strings.Contains(list, truststore.Name(ca.cert)+",") {
		t.Fatalf("keytool -list:\n%s", list)
	}
}
