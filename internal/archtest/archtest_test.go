package archtest

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

type goPackage struct {
	ImportPath string
	Imports    []string
}

func TestImportLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", Module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	checked := 0
	for {
		var p goPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, Module), "/")
		if TestOnly[rel] {
			continue
		}
		layer, ok := Layers[rel]
		if !ok {
			t.Errorf("package %s has no layer: add it to archtest.Layers (see ARCHITECTURE.md)", rel)
			continue
		}
		checked++
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, Module+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, Module+"/")
			if TestOnly[dep] {
				t.Errorf("%s imports %s, which only tests may import", rel, dep)
				continue
			}
			depLayer, ok := Layers[dep]
			if !ok {
				continue // reported when the dependency itself is visited
			}
			allowed := depLayer < layer || (layer == 0 && depLayer == 0)
			if !allowed && !Exceptions[rel+" -> "+dep] {
				t.Errorf("%s (layer %d) imports %s (layer %d): imports must point down", rel, layer, dep, depLayer)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("checked only %d packages; go list output was not what the test expects", checked)
	}
}

// TestRuleDetectsViolation makes sure the check above is not vacuous: the same rule applied to a
// known-bad pair must object.
func TestRuleDetectsViolation(t *testing.T) {
	layer, depLayer := Layers["issuance"], Layers["ca"]
	if depLayer < layer || (layer == 0 && depLayer == 0) {
		t.Fatal("issuance importing ca would be allowed; the layer table is wrong")
	}
}
