package web

// The Releases page (managers only): the update repository's releases per
// channel, each channel's rollout with its form, and how many of the
// account's boxes run each version. The appliances list and a box's page
// say whether its versions are the latest (versionsOf).

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/fleet"
	"picket.dev/picket/src/platform/people"
	"picket.dev/picket/src/platform/releases"
	"picket.dev/picket/src/platform/rollout"
	"picket.dev/picket/src/platform/store"
)

// boxVersions is what the pages say of a box's versions against the
// repository's latest releases ("" when there is no repository or no
// release for its channel).
type boxVersions struct {
	Software, Signatures string
}

// catalog is the repository's catalog, zero when platformd serves none.
func (s *Server) catalog() (releases.Catalog, error) {
	if s.Releases == nil {
		return releases.Catalog{}, nil
	}
	return s.Releases()
}

func versionsOf(cat releases.Catalog, b store.Box) boxVersions {
	return boxVersions{
		Software:   rollout.Latest(cat, rollout.ChannelOf(platformapi.UpdateSoftware, b), b.Versions.Scanner),
		Signatures: rollout.Latest(cat, store.ChannelSignatures, b.Versions.Signatures),
	}
}

type releasesData struct {
	// Served is false when platformd has no update repository.
	Served   bool
	LoadErr  string
	Catalog  releases.Catalog
	Channels []rollout.Channel
	Groups   []string
	// Form is the form as typed when it was refused, for its channel.
	Form rollout.Form
}

func managerOnly(u store.User) bool { return u.Role == store.RoleManager }

func (s *Server) releases(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	s.renderReleases(w, r, http.StatusOK, sess, u, rollout.Form{}, "")
}

func (s *Server) renderReleases(w http.ResponseWriter, r *http.Request, status int, sess *store.Session, u store.User, f rollout.Form, msg string) {
	if !managerOnly(u) {
		s.fail(w, r, http.StatusForbidden, sess, &u, "only managers see the releases and roll them out")
		return
	}
	d := releasesData{Served: s.Releases != nil, Form: f}
	cat, err := s.catalog()
	if err != nil {
		d.LoadErr = err.Error()
	}
	d.Catalog = cat
	var boxes []store.Box
	var rs []store.Rollout
	err = s.Store.View(func(tx store.Tx) error {
		all, err := tx.Boxes()
		if err != nil {
			return err
		}
		for _, b := range all {
			if fleet.Visible(u, b) {
				s.fresh(&b)
				boxes = append(boxes, b)
				if b.AssetGroup != "" && !slices.Contains(d.Groups, b.AssetGroup) {
					d.Groups = append(d.Groups, b.AssetGroup)
				}
			}
		}
		rs, err = tx.Rollouts(u.Account)
		return err
	})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	slices.Sort(d.Groups)
	d.Channels = rollout.Summarize(cat, rs, boxes)
	s.render(w, status, "releases", page{Title: "Releases", User: &u, CSRF: sess.CSRF, Error: msg, Notice: notice(r), Data: d})
}

func (s *Server) saveRollout(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	f := rollout.Form{Channel: r.PostFormValue("channel"), Action: r.PostFormValue("action"), Version: r.PostFormValue("version"),
		Stage: r.PostFormValue("stage"), Percent: r.PostFormValue("percent"), Group: r.PostFormValue("group"),
		Force: r.PostFormValue("force") != ""}
	if !managerOnly(u) {
		s.fail(w, r, http.StatusForbidden, sess, &u, "only managers roll releases out")
		return
	}
	cat, err := s.catalog()
	if err != nil && f.Action == rollout.ActionStart && cat.TargetsVersion == 0 {
		s.renderReleases(w, r, http.StatusServiceUnavailable, sess, u, f, "the update repository cannot be read: "+err.Error())
		return
	}
	ro, err := rollout.Apply(s.Store, u, cat, f, s.Now(), func(tx store.Tx, ro store.Rollout) error {
		return s.auditTx(tx, r, u, people.ActRollout, ro.Channel, fmt.Sprintf("%s %s: percent %d, group %q, everyone %v, paused %v, force %v",
			f.Action, ro.Version, ro.Percent, ro.Group, ro.Everyone, ro.Paused, ro.Force))
	})
	var fe *rollout.FormError
	switch {
	case errors.As(err, &fe):
		s.Log.Warn("web: rollout refused", "user", u.Name, "channel", f.Channel, "action", f.Action, "reason", fe.Msg)
		s.renderReleases(w, r, http.StatusBadRequest, sess, u, f, "The rollout was not changed: "+fe.Msg)
	case err != nil:
		s.internal(w, r, err)
	default:
		s.Log.Info("web: rollout "+f.Action, "user", u.Name, "channel", ro.Channel, "version", ro.Version,
			"percent", ro.Percent, "group", ro.Group, "everyone", ro.Everyone, "paused", ro.Paused, "force", ro.Force)
		headers(w)
		http.Redirect(w, r, "/releases?notice=rollout-"+f.Action, http.StatusSeeOther)
	}
}
