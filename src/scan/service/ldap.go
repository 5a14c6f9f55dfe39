package service

import (
	"errors"
	"strings"

	"picket.dev/picket/src/scan/result"
)

// LDAP (RFC 4511): an anonymous search of the root DSE (RFC 4512 section 5.1),
// base "", scope base, filter (objectClass=*), without a bind.

var ldapRootDSEAttrs = []string{
	"namingContexts", "supportedLDAPVersion", "supportedSASLMechanisms",
	"vendorName", "vendorVersion", "dnsHostName", "serverName",
	"defaultNamingContext", "forestFunctionality", "objectClass",
}

func ldapRootDSESearch(msgID int64) []byte {
	var attrs [][]byte
	for _, a := range ldapRootDSEAttrs {
		attrs = append(attrs, berTLV(0x04, []byte(a)))
	}
	req := berSeq(0x63,
		berTLV(0x04, nil),                   // baseObject ""
		berTLV(0x0a, []byte{0}),             // scope baseObject
		berTLV(0x0a, []byte{0}),             // derefAliases never
		berInt(0x02, 0),                     // sizeLimit
		berInt(0x02, 0),                     // timeLimit
		berTLV(0x01, []byte{0}),             // typesOnly false
		berTLV(0x87, []byte("objectClass")), // present filter
		berSeq(0x30, attrs...),
	)
	return berSeq(0x30, berInt(0x02, msgID), req)
}

// ldapAnswer is the root DSE's attributes, or the result code of a refusal.
type ldapAnswer struct {
	Attrs      map[string][]string
	ResultCode int64 // of the SearchResultDone, -1 before it came
}

// parseLDAPAnswer reads the LDAPMessages of the answer: SearchResultEntry (0x64)
// and SearchResultDone (0x65). It returns errShort until the Done came.
func parseLDAPAnswer(b []byte) (*ldapAnswer, error) {
	a := &ldapAnswer{Attrs: map[string][]string{}, ResultCode: -1}
	for len(b) > 0 {
		msg, rest, err := berExpect(b, 0x30)
		if err != nil {
			return a, err
		}
		b = rest
		if _, msg, err = berExpect(msg, 0x02); err != nil {
			return a, err
		}
		tag, op, _, err := berRead(msg)
		if err != nil {
			return a, err
		}
		switch tag {
		case 0x64:
			if _, op, err = berExpect(op, 0x04); err != nil { // objectName
				return a, err
			}
			list, _, err := berExpect(op, 0x30)
			if err != nil {
				return a, err
			}
			for len(list) > 0 {
				var pa []byte
				if pa, list, err = berExpect(list, 0x30); err != nil {
					return a, err
				}
				typ, vals, err := berExpect(pa, 0x04)
				if err != nil {
					return a, err
				}
				set, _, err := berExpect(vals, 0x31)
				if err != nil {
					return a, err
				}
				for len(set) > 0 {
					var v []byte
					if v, set, err = berExpect(set, 0x04); err != nil {
						return a, err
					}
					a.Attrs[string(typ)] = append(a.Attrs[string(typ)], string(v))
				}
			}
		case 0x65, 0x78: // SearchResultDone, or an ExtendedResponse (notice of disconnection)
			c, _, err := berExpect(op, 0x0a)
			if err != nil {
				return a, err
			}
			if a.ResultCode, err = berIntValue(c); err != nil {
				return a, err
			}
			return a, nil
		default:
			return a, errors.New("ldap: unexpected protocol op")
		}
	}
	return a, errShort
}

func ldapService(a *ldapAnswer) *result.Service {
	s := &result.Service{Name: "ldap", Method: "probe:ldap"}
	for _, k := range ldapRootDSEAttrs {
		if v := a.Attrs[k]; len(v) > 0 {
			setFact(s, "ldap."+strings.ToLower(k), printable(strings.Join(v, ";")))
		}
	}
	if a.ResultCode > 0 {
		setFact(s, "ldap.result_code", itoa(int(a.ResultCode)))
	}
	if v := a.Attrs["vendorName"]; len(v) > 0 {
		s.Product = printable(v[0])
		if vv := a.Attrs["vendorVersion"]; len(vv) > 0 {
			s.Version = printable(vv[0])
		}
	} else if len(a.Attrs["forestFunctionality"]) > 0 {
		s.Product, s.OS = "Microsoft Windows Active Directory LDAP", "Windows"
	} else if containsFold(a.Attrs["objectClass"], "OpenLDAProotDSE") {
		// slapd's root DSE is of its own object class; OpenLDAP says no
		// version there (only in cn=monitor, which needs a bind).
		s.Product = "OpenLDAP"
	}
	return s
}
