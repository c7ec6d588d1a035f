package loginstep

import (
	"strings"

	"github.com/acme/progressive-profiling/server/internal/engine"
)

// texts are the step's own words (the catalog supplies field labels and the title).
type texts struct {
	Lang          string
	Title         string
	Intro         string
	Save          string
	Skip          string
	Optional      string
	Problem       string
	ErrorPrefix   string
	Choose        string
	Yes, No       string
	Topics        string
	Done          string
	Returning     string
	Continue      string
	CannotUse     string
	Expired       string
	Used          string
	Forged        string
	Missing       string
	ContinueLogin string
	NothingKept   string
}

var textsByLang = map[string]*texts{
	"en": {
		Lang: "en", Title: "A few more details", Intro: "This helps us tailor what you see. You can skip it for now.",
		Save: "Save and continue", Skip: "Not now", Optional: "(optional)", Problem: "There is a problem",
		ErrorPrefix: "Error:", Choose: "Choose…", Yes: "Yes", No: "No", Topics: "Stay in touch",
		Done: "Thank you", Returning: "Taking you back to sign-in…", Continue: "Continue",
		CannotUse: "This page cannot be used", Expired: "This step has expired or its link is not valid.",
		Used:          "This step was already completed. You can close this page or go back to the application.",
		Forged:        "This form was opened in another window or has expired. Start signing in again to see it.",
		Missing:       "This page is part of signing in and cannot be opened on its own.",
		ContinueLogin: "Continue signing in", NothingKept: "Nothing you entered here was kept.",
	},
	"fr": {
		Lang: "fr", Title: "Quelques précisions", Intro: "Cela nous aide à personnaliser ce que vous voyez. Vous pouvez passer cette étape pour l’instant.",
		Save: "Enregistrer et continuer", Skip: "Pas maintenant", Optional: "(facultatif)", Problem: "Il y a un problème",
		ErrorPrefix: "Erreur :", Choose: "Choisir…", Yes: "Oui", No: "Non", Topics: "Restons en contact",
		Done: "Merci", Returning: "Retour à la connexion…", Continue: "Continuer",
		CannotUse: "Cette page ne peut pas être utilisée", Expired: "Cette étape a expiré ou son lien n’est pas valide.",
		Used:          "Cette étape est déjà terminée. Vous pouvez fermer cette page ou revenir à l’application.",
		Forged:        "Ce formulaire a été ouvert dans une autre fenêtre ou a expiré. Recommencez la connexion pour le revoir.",
		Missing:       "Cette page fait partie de la connexion et ne peut pas être ouverte seule.",
		ContinueLogin: "Poursuivre la connexion", NothingKept: "Rien de ce que vous avez saisi ici n’a été conservé.",
	},
	"de": {
		Lang: "de", Title: "Noch ein paar Angaben", Intro: "Das hilft uns, Ihnen Passendes zu zeigen. Sie können diesen Schritt vorerst überspringen.",
		Save: "Speichern und weiter", Skip: "Jetzt nicht", Optional: "(optional)", Problem: "Es gibt ein Problem",
		ErrorPrefix: "Fehler:", Choose: "Bitte wählen…", Yes: "Ja", No: "Nein", Topics: "In Kontakt bleiben",
		Done: "Danke", Returning: "Zurück zur Anmeldung…", Continue: "Weiter",
		CannotUse: "Diese Seite kann nicht verwendet werden", Expired: "Dieser Schritt ist abgelaufen oder sein Link ist ungültig.",
		Used:          "Dieser Schritt wurde bereits abgeschlossen. Sie können diese Seite schließen oder zur Anwendung zurückkehren.",
		Forged:        "Dieses Formular wurde in einem anderen Fenster geöffnet oder ist abgelaufen. Melden Sie sich erneut an, um es zu sehen.",
		Missing:       "Diese Seite gehört zur Anmeldung und kann nicht allein geöffnet werden.",
		ContinueLogin: "Anmeldung fortsetzen", NothingKept: "Ihre Eingaben auf dieser Seite wurden nicht gespeichert.",
	},
}

// textsFor returns the step's words in locale's language ("fr-CA" reads "fr"), English when the
// step does not speak it.
func textsFor(locale string) *texts {
	base, _, _ := strings.Cut(strings.ToLower(strings.ReplaceAll(locale, "_", "-")), "-")
	if t, ok := textsByLang[base]; ok {
		return t
	}
	return textsByLang["en"]
}

// browserLocale returns the first language of an Accept-Language header, or "" when it is no
// locale tag (engine.ValidLocale).
func browserLocale(header string) string {
	first, _, _ := strings.Cut(header, ",")
	tag, _, _ := strings.Cut(first, ";")
	if tag = strings.TrimSpace(tag); !engine.ValidLocale(tag) {
		return ""
	}
	return tag
}

// problem is why a page cannot be used.
type problem int

const (
	problemExpired problem = iota
	problemUsed
	problemForged
	problemMissing
)

// explain says what went wrong, in t's language.
func (t *texts) explain(p problem) string {
	switch p {
	case problemUsed:
		return t.Used
	case problemForged:
		return t.Forged
	case problemMissing:
		return t.Missing
	}
	return t.Expired
}
