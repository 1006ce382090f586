package sidecar

import "github.com/dialgate/dialgate"

// wireConsent sets be.Consents once the consent domain is wired (the store
// keeps consents and the profile has a consent section).
func wireConsent(be *Backend, _ []dialgate.Checker, _ any) {
	be.unwired("consent", "the consent store and the policy consent section are not on main yet")
}
