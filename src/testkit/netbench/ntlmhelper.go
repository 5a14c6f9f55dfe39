package netbench

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf16"

	"golang.org/x/crypto/md4"
)

// HelperEnv names the environment variable that turns the test binary into
// a squid helper (see RunHelperIfAsked). Its value is the helper kind.
const HelperEnv = "PICKET_NETBENCH_HELPER"

// helperConfigEnv names the file holding the NTLM helper's accounts.
const helperConfigEnv = "PICKET_NETBENCH_HELPER_CONFIG"

// RunHelperIfAsked turns the test binary into squid's NTLM auth helper when
// squid started it for that (HelperEnv set), and then exits; otherwise it
// returns at once. Every test package whose tests run Squid with NTLM must
// call it first thing in TestMain:
//
//	func TestMain(m *testing.M) {
//		netbench.RunHelperIfAsked()
//		os.Exit(m.Run())
//	}
//
// squid's bundled ntlm_fake_auth sends a challenge go-ntlmssp rejects and
// accepts any password, so the bench brings its own helper, which checks
// the NTLMv2 response for real.
func RunHelperIfAsked() {
	switch os.Getenv(HelperEnv) {
	case "":
		return
	case "ntlm":
		cfg, err := readHelperConfig(os.Getenv(helperConfigEnv))
		if err != nil {
			fmt.Fprintf(os.Stderr, "netbench ntlm helper: %v\n", err)
			os.Exit(1)
		}
		if err := serveNTLM(os.Stdin, os.Stdout, cfg); err != nil {
			fmt.Fprintf(os.Stderr, "netbench ntlm helper: %v\n", err)
			os.Exit(1)
		}
		os.Exit(0)
	default:
		fmt.Fprintf(os.Stderr, "netbench: unknown helper %q in %s (known: ntlm)\n", os.Getenv(HelperEnv), HelperEnv)
		os.Exit(2)
	}
}

// ntlmConfig is what the NTLM helper accepts.
type ntlmConfig struct {
	Domain   string `json:"domain"`
	User     string `json:"user"`
	Password string `json:"password"`
	// Log is a file the helper appends one line per verdict to.
	Log string `json:"log"`
}

func readHelperConfig(path string) (ntlmConfig, error) {
	var c ntlmConfig
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("read config (%s): %w", helperConfigEnv, err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("parse config %s: %w", path, err)
	}
	return c, nil
}

// serveNTLM speaks squid's stateful NTLM helper protocol: "YR <type1>"
// starts a handshake and is answered "TT <type2>" (our challenge); "KK
// <type3>" is answered "AF <domain\user>" when the NTLMv2 response proves
// the password, or "NA <reason>". squid sends one handshake at a time to
// a helper process, so the pending challenge is plain state.
func serveNTLM(in io.Reader, out io.Writer, cfg ntlmConfig) error {
	logf := func(format string, a ...any) {
		line := fmt.Sprintf(format, a...)
		fmt.Fprintln(os.Stderr, "netbench ntlm helper: "+line)
		if cfg.Log != "" {
			if f, err := os.OpenFile(cfg.Log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
				fmt.Fprintln(f, line)
				f.Close()
			}
		}
	}
	var challenge []byte
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		var reply string
		switch cmd {
		case "YR":
			challenge = make([]byte, 8)
			if _, err := rand.Read(challenge); err != nil {
				return err
			}
			reply = "TT " + base64.StdEncoding.EncodeToString(challengeMessage(cfg.Domain, challenge))
		case "KK":
			raw, err := base64.StdEncoding.DecodeString(arg)
			switch {
			case err != nil:
				reply = "BH bad base64 in KK"
			case challenge == nil:
				reply = "BH KK before YR"
			default:
				user, err := verifyAuthenticate(raw, challenge, cfg)
				challenge = nil
				if err != nil {
					logf("refused %s: %v", user, err)
					reply = "NA " + err.Error()
				} else {
					logf("authenticated %s", user)
					reply = "AF " + user
				}
			}
		default:
			reply = "BH unknown request " + cmd
		}
		if _, err := fmt.Fprintln(out, reply); err != nil {
			return err
		}
	}
	return sc.Err()
}

const (
	flagUnicode          = 0x00000001
	flagRequestTarget    = 0x00000004
	flagNTLM             = 0x00000200
	flagAlwaysSign       = 0x00008000
	flagTargetTypeDomain = 0x00010000
	flagExtendedSecurity = 0x00080000
	flagTargetInfo       = 0x00800000
	flag128              = 0x20000000
	flag56               = 0x80000000
)

func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

func fromUTF16le(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// challengeMessage builds an NTLM CHALLENGE (type 2) message for NTLMv2
// with the domain as target and a target info block.
func challengeMessage(domain string, challenge []byte) []byte {
	target := utf16le(domain)
	var info bytes.Buffer
	av := func(id uint16, v []byte) {
		binary.Write(&info, binary.LittleEndian, id)
		binary.Write(&info, binary.LittleEndian, uint16(len(v)))
		info.Write(v)
	}
	av(2, target)                   // MsvAvNbDomainName
	av(1, utf16le("PICKETPROXY"))   // MsvAvNbComputerName
	av(4, utf16le(domain+".test"))  // MsvAvDnsDomainName
	av(3, utf16le("proxy.example")) // MsvAvDnsComputerName
	av(0, nil)                      // MsvAvEOL

	const hdr = 48
	var m bytes.Buffer
	m.WriteString("NTLMSSP\x00")
	le := func(v any) { binary.Write(&m, binary.LittleEndian, v) }
	le(uint32(2))
	le(uint16(len(target)))
	le(uint16(len(target)))
	le(uint32(hdr))
	le(uint32(flagUnicode | flagRequestTarget | flagNTLM | flagAlwaysSign | flagTargetTypeDomain |
		flagExtendedSecurity | flagTargetInfo | flag128 | flag56))
	m.Write(challenge)
	m.Write(make([]byte, 8)) // reserved
	le(uint16(info.Len()))
	le(uint16(info.Len()))
	le(uint32(hdr + len(target)))
	m.Write(target)
	m.Write(info.Bytes())
	return m.Bytes()
}

// verifyAuthenticate checks an NTLM AUTHENTICATE (type 3) message against
// the configured account and returns "DOMAIN\user" as the client sent it.
func verifyAuthenticate(msg, challenge []byte, cfg ntlmConfig) (string, error) {
	if len(msg) < 64 || string(msg[:8]) != "NTLMSSP\x00" || binary.LittleEndian.Uint32(msg[8:]) != 3 {
		return "", errors.New("not an NTLM AUTHENTICATE message")
	}
	field := func(off int) ([]byte, error) {
		l := int(binary.LittleEndian.Uint16(msg[off:]))
		o := int(binary.LittleEndian.Uint32(msg[off+4:]))
		if o+l > len(msg) || o < 0 {
			return nil, errors.New("field outside the message")
		}
		return msg[o : o+l], nil
	}
	nt, err := field(20)
	if err != nil {
		return "", err
	}
	dom, err := field(28)
	if err != nil {
		return "", err
	}
	usr, err := field(36)
	if err != nil {
		return "", err
	}
	if binary.LittleEndian.Uint32(msg[60:])&flagUnicode == 0 {
		return "", errors.New("only Unicode NTLM messages are supported")
	}
	domain, user := fromUTF16le(dom), fromUTF16le(usr)
	who := domain + `\` + user
	if !strings.EqualFold(domain, cfg.Domain) || !strings.EqualFold(user, cfg.User) {
		return who, errors.New("unknown user")
	}
	if len(nt) < 16+28 {
		return who, errors.New("not an NTLMv2 response")
	}
	h := md4.New()
	h.Write(utf16le(cfg.Password))
	mac := hmac.New(md5.New, h.Sum(nil))
	// NTOWFv2 uses the domain as the client sent it.
	mac.Write(utf16le(strings.ToUpper(user) + domain))
	ntowf := mac.Sum(nil)
	proof := hmac.New(md5.New, ntowf)
	proof.Write(challenge)
	proof.Write(nt[16:])
	if !hmac.Equal(proof.Sum(nil), nt[:16]) {
		return who, errors.New("wrong password")
	}
	return who, nil
}
