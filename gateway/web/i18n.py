"""The words of the web pages, in French and English, and which language a browser gets.

One dictionary: each key holds its English and French text (``{name}`` placeholders are
filled by ``translate``). The language comes from the ``lang`` cookie (the visible switch),
else from ``Accept-Language``, else French (the earlier gateway's users are French).
A test checks that every key has both texts and the same placeholders in each.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

LANGUAGES: Final = ("fr", "en")
DEFAULT_LANGUAGE: Final = "fr"
LANG_COOKIE: Final = "lang"

# key: (English, French)
MESSAGES: Final[Mapping[str, tuple[str, str]]] = {
    # -- layout
    "site.name": ("Enedis gateway", "Passerelle Enedis"),
    "site.tagline": (
        "Your Linky meter's data, for your own software.",
        "Les données de votre compteur Linky, pour vos propres logiciels.",
    ),
    "nav.home": ("Home", "Accueil"),
    "nav.dashboard": ("My meters", "Mes compteurs"),
    "nav.connect": ("Connect your software", "Connecter votre logiciel"),
    "nav.credentials": ("My credentials", "Mes identifiants"),
    "nav.signout": ("Sign out", "Se déconnecter"),
    "nav.signin": ("Sign in", "Se connecter"),
    "nav.signup": ("Create an account", "Créer un compte"),
    "nav.language": ("Language", "Langue"),
    "nav.skip": ("Skip to the content", "Aller au contenu"),
    "banner.unverified": (
        "Your e-mail address is not confirmed yet: open the link we sent you.",
        "Votre adresse e-mail n'est pas encore confirmée : ouvrez le lien que nous vous avons"
        " envoyé.",
    ),
    "banner.resend": ("Send the link again", "Renvoyer le lien"),
    "banner.sent": (
        "We sent a new confirmation link to your address.",
        "Nous avons envoyé un nouveau lien de confirmation à votre adresse.",
    ),
    # -- home
    "home.title": ("Your Linky data, simply", "Vos données Linky, simplement"),
    "home.intro1": (
        "Enedis only opens its meter-data service to registered companies. This gateway is"
        " one: it lets you read your own Linky meter's consumption and production from Home"
        " Assistant, a spreadsheet or a script.",
        "Enedis n'ouvre son service de données de compteurs qu'aux entreprises enregistrées."
        " Cette passerelle en est une : elle vous permet de lire la consommation et la"
        " production de votre propre compteur Linky depuis Home Assistant, un tableur ou un"
        " script.",
    ),
    "home.intro2": (
        "Create an account, give your consent at Enedis for each meter, then copy the"
        " identifiers your software needs. You can remove a meter or your whole account at"
        " any time.",
        "Créez un compte, donnez votre accord chez Enedis pour chaque compteur, puis copiez les"
        " identifiants dont votre logiciel a besoin. Vous pouvez retirer un compteur ou"
        " supprimer votre compte à tout moment.",
    ),
    "home.privacy": (
        "Your data is kept encrypted with a key only your credentials unlock.",
        "Vos données sont conservées chiffrées avec une clé que seuls vos identifiants ouvrent.",
    ),
    # -- forms
    "form.email": ("E-mail address", "Adresse e-mail"),
    "form.password": ("Password", "Mot de passe"),
    "form.password_hint": (
        "At least 12 characters.",
        "Au moins 12 caractères.",
    ),
    "form.new_password": ("New password", "Nouveau mot de passe"),
    "form.current_password": ("Your password", "Votre mot de passe"),
    "form.errors": ("Please correct the form:", "Veuillez corriger le formulaire :"),
    "signup.title": ("Create an account", "Créer un compte"),
    "signup.submit": ("Create my account", "Créer mon compte"),
    "signup.have_account": ("Already have an account?", "Vous avez déjà un compte ?"),
    "signin.title": ("Sign in", "Se connecter"),
    "signin.submit": ("Sign in", "Se connecter"),
    "signin.forgot": ("Forgot your password?", "Mot de passe oublié ?"),
    "signin.no_account": ("No account yet?", "Pas encore de compte ?"),
    "signin.to_finish": (
        "Sign in to finish adding this meter.",
        "Connectez-vous pour terminer l'ajout de ce compteur.",
    ),
    "signout.done": ("You are signed out.", "Vous êtes déconnecté."),
    # -- validation messages (the API's rules)
    "err.email": ("Enter a valid e-mail address.", "Saisissez une adresse e-mail valide."),
    "err.password_length": (
        "The password must be {min} to {max} characters long.",
        "Le mot de passe doit comporter entre {min} et {max} caractères.",
    ),
    "err.password_required": ("Enter your password.", "Saisissez votre mot de passe."),
    "err.email_taken": (
        "An account already uses this e-mail address.",
        "Un compte utilise déjà cette adresse e-mail.",
    ),
    "err.credentials": (
        "The e-mail address or password is not correct.",
        "L'adresse e-mail ou le mot de passe est incorrect.",
    ),
    "err.password": ("The password is not correct.", "Le mot de passe est incorrect."),
    "err.throttled": (
        "Too many failed attempts; try again in {seconds} seconds.",
        "Trop d'essais infructueux ; réessayez dans {seconds} secondes.",
    ),
    "err.confirm_delete": (
        "Tick the box to confirm the deletion.",
        "Cochez la case pour confirmer la suppression.",
    ),
    "err.name_length": (
        "The name must be at most {max} characters long.",
        "Le nom doit comporter au plus {max} caractères.",
    ),
    # -- error page
    "error.title": ("Something went wrong", "Une erreur est survenue"),
    "error.csrf": (
        "This form has expired or did not come from this site. Nothing was changed: go back,"
        " reload the page and try again.",
        "Ce formulaire a expiré ou ne vient pas de ce site. Rien n'a été modifié : revenez en"
        " arrière, rechargez la page et réessayez.",
    ),
    "error.signin": (
        "Please sign in to see this page.",
        "Veuillez vous connecter pour voir cette page.",
    ),
    "error.not_found": ("This page does not exist.", "Cette page n'existe pas."),
    "error.unavailable": (
        "The service is briefly unavailable; please try again in a moment.",
        "Le service est momentanément indisponible ; réessayez dans un instant.",
    ),
    "error.generic": (
        "The gateway could not handle this request.",
        "La passerelle n'a pas pu traiter cette demande.",
    ),
    "error.no_point": ("You have no such meter.", "Vous n'avez pas ce compteur."),
    "error.back": ("Back to the home page", "Retour à l'accueil"),
    # -- credentials shown once
    "created.title": ("Your account is ready", "Votre compte est prêt"),
    "created.warning": (
        "Copy your client secret now and keep it somewhere safe: this page shows it once. You"
        " can see it again later only by typing your password.",
        "Copiez votre secret client maintenant et gardez-le en lieu sûr : cette page ne"
        " l'affiche qu'une fois. Vous ne pourrez le revoir qu'en saisissant votre mot de"
        " passe.",
    ),
    "created.verify": (
        "We sent a confirmation link to {email}.",
        "Nous avons envoyé un lien de confirmation à {email}.",
    ),
    "created.next": ("Add my meter", "Ajouter mon compteur"),
    "cred.client_id": ("Client ID", "Identifiant client (client_id)"),
    "cred.client_secret": ("Client secret", "Secret client (client_secret)"),
    "cred.copy": ("Copy", "Copier"),
    "cred.copied": ("Copied", "Copié"),
    # -- dashboard
    "dash.title": ("My meters", "Mes compteurs"),
    "dash.none": (
        "No meter yet. Add one: you will give your consent on Enedis' site, then come back here.",
        "Aucun compteur pour l'instant. Ajoutez-en un : vous donnerez votre accord sur le site"
        " d'Enedis, puis reviendrez ici.",
    ),
    "dash.add": ("Add a meter", "Ajouter un compteur"),
    "dash.add_hint": (
        "You will be sent to Enedis to give your consent for one meter.",
        "Vous serez dirigé vers Enedis pour donner votre accord pour un compteur.",
    ),
    "dash.prm": ("Meter number (PRM)", "Numéro de compteur (PRM)"),
    "dash.name": ("Name", "Nom"),
    "dash.status": ("Consent", "Consentement"),
    "dash.expires": ("Until", "Jusqu'au"),
    "dash.rename": ("Rename", "Renommer"),
    "dash.new_name": ("New name for meter {prm}", "Nouveau nom du compteur {prm}"),
    "dash.remove": ("Remove", "Retirer"),
    "dash.remove_hint": (
        "Removes the meter and its stored data from the gateway.",
        "Retire le compteur et ses données conservées de la passerelle.",
    ),
    "dash.again": ("Give consent again", "Redonner mon accord"),
    "dash.charts": ("See the charts", "Voir les graphiques"),
    "dash.renamed": ("The meter was renamed.", "Le compteur a été renommé."),
    "dash.removed": (
        "The meter {prm} was removed, with its stored data.",
        "Le compteur {prm} a été retiré, avec ses données conservées.",
    ),
    "dash.quota": ("Today's allowances", "Allocations du jour"),
    "dash.quota_upstream": ("Requests to Enedis", "Demandes à Enedis"),
    "dash.quota_cached": ("Answers from the gateway's store", "Réponses depuis la passerelle"),
    "dash.quota_line": (
        "{used} used, {left} left of {limit}",
        "{used} utilisées, {left} restantes sur {limit}",
    ),
    "dash.quota_unknown": ("not available right now", "indisponible pour le moment"),
    "dash.history": ("History", "Historique"),
    "history.pending": (
        "import waiting to start",
        "import en attente",
    ),
    "history.running": (
        "importing: {percent} % ({days} days so far)",
        "import en cours : {percent} % ({days} jours pour l'instant)",
    ),
    "history.complete": (
        "imported: {days} days, served from the gateway's store",
        "importé : {days} jours, servis depuis la passerelle",
    ),
    "history.failed": (
        "import stopped (the consent ended)",
        "import arrêté (le consentement a pris fin)",
    ),
    "status.active": ("active", "actif"),
    "status.expired": ("expired", "expiré"),
    "status.revoked": ("revoked", "révoqué"),
    "dash.unnamed": ("(no name)", "(sans nom)"),
    # -- charts
    "chart.title": ("Charts of meter {prm}", "Graphiques du compteur {prm}"),
    "chart.daily": (
        "Daily consumption, last 30 days (kWh)",
        "Consommation quotidienne, 30 derniers jours (kWh)",
    ),
    "chart.production": (
        "Daily production, last 30 days (kWh)",
        "Production quotidienne, 30 derniers jours (kWh)",
    ),
    "chart.curve": ("Yesterday's load curve (W)", "Courbe de charge d'hier (W)"),
    "chart.table": ("The numbers", "Les valeurs"),
    "chart.date": ("Date", "Date"),
    "chart.time": ("Time", "Heure"),
    "chart.value": ("Value", "Valeur"),
    "chart.none": (
        "No data for this period.",
        "Aucune donnée pour cette période.",
    ),
    "chart.failed": (
        "These data could not be read right now: {reason}",
        "Ces données n'ont pas pu être lues pour le moment : {reason}",
    ),
    "chart.reason_quota": (
        "today's allowance is used up; it comes back at midnight (UTC).",
        "l'allocation du jour est épuisée ; elle revient à minuit (UTC).",
    ),
    "chart.reason_consent": (
        "the consent for this meter is no longer valid.",
        "le consentement pour ce compteur n'est plus valable.",
    ),
    "chart.reason_enedis": (
        "Enedis did not answer; try again later.",
        "Enedis n'a pas répondu ; réessayez plus tard.",
    ),
    # -- credentials page
    "creds.title": ("My credentials", "Mes identifiants"),
    "creds.show": ("Show my client secret", "Afficher mon secret client"),
    "creds.show_hint": (
        "Type your password to see your client secret again.",
        "Saisissez votre mot de passe pour revoir votre secret client.",
    ),
    "creds.rotate": ("Issue a new client secret", "Émettre un nouveau secret client"),
    "creds.rotate_hint": (
        "The current secret stops working at once: every software using it must get the new"
        " one, you are signed out everywhere, and the data stored for you is cleared (it will"
        " be read again from Enedis when asked).",
        "Le secret actuel cesse aussitôt de fonctionner : chaque logiciel qui l'utilise devra"
        " recevoir le nouveau, vous serez déconnecté partout, et les données conservées pour"
        " vous seront effacées (elles seront relues chez Enedis à la demande).",
    ),
    "creds.rotated": (
        "Your new client secret. The old one no longer works.",
        "Votre nouveau secret client. L'ancien ne fonctionne plus.",
    ),
    "creds.delete": ("Delete my account", "Supprimer mon compte"),
    "creds.delete_hint": (
        "Deletes your account, your meters, your consents and every stored datum. This cannot"
        " be undone.",
        "Supprime votre compte, vos compteurs, vos consentements et toutes les données"
        " conservées. C'est définitif.",
    ),
    "creds.delete_confirm": (
        "Yes, delete my account and everything in it",
        "Oui, supprimer mon compte et tout son contenu",
    ),
    "creds.deleted": ("Your account was deleted.", "Votre compte a été supprimé."),
    # -- connect your software
    "connect.title": ("Connect your software", "Connecter votre logiciel"),
    "connect.intro": (
        "Copy what your software asks for. Your client secret is on the credentials page.",
        "Copiez ce que votre logiciel demande. Votre secret client est sur la page de vos"
        " identifiants.",
    ),
    "connect.v5": (
        "Software written for Enedis' v5 API",
        "Logiciels écrits pour l'API v5 d'Enedis",
    ),
    "connect.v5_hint": (
        "Use these instead of Enedis' addresses, with your client ID and client secret.",
        "Utilisez ces adresses à la place de celles d'Enedis, avec votre identifiant et votre"
        " secret client.",
    ),
    "connect.base_url": ("Base URL", "URL de base"),
    "connect.token_url": ("Token URL", "URL du jeton"),
    "connect.v2026": (
        "Software written for Enedis Data Connect 2026",
        "Logiciels écrits pour Enedis Data Connect 2026",
    ),
    "connect.legacy": (
        "Clients of the earlier gateway (Home Assistant add-ons, scripts)",
        "Clients de l'ancienne passerelle (modules Home Assistant, scripts)",
    ),
    "connect.legacy_hint": (
        'Their "token" is now your client secret.',
        "Leur « jeton » est désormais votre secret client.",
    ),
    "connect.curl": ("From a terminal (curl)", "Depuis un terminal (curl)"),
    "connect.secret_placeholder": ("YOUR_CLIENT_SECRET", "VOTRE_SECRET_CLIENT"),
    # -- consent
    "consent.added_title": ("Meter added", "Compteur ajouté"),
    "consent.added": (
        "The meter {prm} can now be read through the gateway.",
        "Le compteur {prm} peut maintenant être lu par la passerelle.",
    ),
    "consent.added_many": (
        "The meters {prm} can now be read through the gateway.",
        "Les compteurs {prm} peuvent maintenant être lus par la passerelle.",
    ),
    "consent.refused_title": ("Consent not given", "Accord non donné"),
    "consent.refused": (
        "You refused the consent on Enedis' page: no meter was added.",
        "Vous avez refusé l'accord sur la page d'Enedis : aucun compteur n'a été ajouté.",
    ),
    "consent.error": (
        "Enedis answered with an error ({code}): no meter was added. You can try again.",
        "Enedis a répondu par une erreur ({code}) : aucun compteur n'a été ajouté. Vous pouvez"
        " réessayer.",
    ),
    "consent.failed_title": ("Meter not added", "Compteur non ajouté"),
    "consent.invalid_state": (
        "This consent link is unknown, already used or expired: start again from your meters page.",
        "Ce lien de consentement est inconnu, déjà utilisé ou expiré : recommencez depuis la"
        " page de vos compteurs.",
    ),
    "consent.trap_title": (
        'Seeing "Une erreur est survenue lors du partage de vos données" at Enedis?',
        "Vous voyez « Une erreur est survenue lors du partage de vos données » chez Enedis ?",
    ),
    "consent.trap": (
        "It means the meter is already shared with this service. Remove the old share in your"
        " Enedis customer account first, then add the meter again.",
        "Cela signifie que le compteur est déjà partagé avec ce service. Supprimez d'abord"
        " l'ancien partage dans votre espace client Enedis, puis ajoutez à nouveau le"
        " compteur.",
    ),
    "consent.wait_title": ("Almost there", "Presque terminé"),
    "consent.wait": (
        "Enedis confirmed your consent; the gateway is finishing the set-up of your meter."
        " This page refreshes by itself.",
        "Enedis a confirmé votre accord ; la passerelle termine la mise en place de votre"
        " compteur. Cette page se rafraîchit toute seule.",
    ),
    "consent.wait_link": ("Refresh now", "Rafraîchir maintenant"),
    "consent.to_dashboard": ("Go to my meters", "Aller à mes compteurs"),
    # -- e-mail and password reset
    "verify.done": (
        "Your e-mail address is confirmed. Thank you!",
        "Votre adresse e-mail est confirmée. Merci !",
    ),
    "verify.bad": (
        "This confirmation link is not valid or has expired.",
        "Ce lien de confirmation n'est pas valide ou a expiré.",
    ),
    "forgot.title": ("Forgotten password", "Mot de passe oublié"),
    "forgot.hint": (
        "We will send a link to choose a new password. Because your client secret is sealed"
        " with your password, a reset issues a new client secret (the old one stops working)"
        " and clears the data stored for you.",
        "Nous vous enverrons un lien pour choisir un nouveau mot de passe. Comme votre secret"
        " client est scellé par votre mot de passe, une réinitialisation émet un nouveau"
        " secret client (l'ancien cesse de fonctionner) et efface les données conservées pour"
        " vous.",
    ),
    "forgot.submit": ("Send the link", "Envoyer le lien"),
    "forgot.sent": (
        "If an account uses this address, a link is on its way. It is valid for one hour.",
        "Si un compte utilise cette adresse, un lien est en route. Il est valable une heure.",
    ),
    "reset.title": ("Choose a new password", "Choisir un nouveau mot de passe"),
    "reset.hint": (
        "Your client secret was sealed with the forgotten password: a new one will be issued"
        " (the old one stops working, in every software using it) and the data stored for"
        " you is cleared.",
        "Votre secret client était scellé par le mot de passe oublié : un nouveau sera émis"
        " (l'ancien cesse de fonctionner, dans chaque logiciel qui l'utilise) et les données"
        " conservées pour vous seront effacées.",
    ),
    "reset.submit": ("Change my password", "Changer mon mot de passe"),
    "reset.done": (
        "Your password is changed. Here is your new client secret: the old one no longer works.",
        "Votre mot de passe est changé. Voici votre nouveau secret client : l'ancien ne"
        " fonctionne plus.",
    ),
    "mail.verify_subject": (
        "Confirm your e-mail address",
        "Confirmez votre adresse e-mail",
    ),
    "mail.verify_body": (
        "Hello,\n\nTo confirm the address of your Enedis gateway account, open this link:\n"
        "{link}\n\nIf you did not create this account, ignore this message.",
        "Bonjour,\n\nPour confirmer l'adresse de votre compte sur la passerelle Enedis,"
        " ouvrez ce lien :\n{link}\n\nSi vous n'avez pas créé ce compte, ignorez ce message.",
    ),
    "mail.reset_subject": ("Choose a new password", "Choisir un nouveau mot de passe"),
    "mail.reset_body": (
        "Hello,\n\nTo choose a new password for your Enedis gateway account, open this link"
        " within one hour:\n{link}\n\nA new client secret will be issued and the old one will"
        " stop working. If you did not ask for this, ignore this message.",
        "Bonjour,\n\nPour choisir un nouveau mot de passe pour votre compte sur la passerelle"
        " Enedis, ouvrez ce lien dans l'heure :\n{link}\n\nUn nouveau secret client sera émis"
        " et l'ancien cessera de fonctionner. Si vous n'avez rien demandé, ignorez ce"
        " message.",
    ),
    "mails.title": ("Caught e-mails (development only)", "E-mails interceptés (développement)"),
    "mails.to": ("To:", "À :"),
    "mails.none": ("No e-mail caught yet.", "Aucun e-mail intercepté pour l'instant."),
}


def translate(language: str, key: str, **values: object) -> str:
    """The text of ``key`` in ``language`` (English for an unknown language)."""
    english, french = MESSAGES[key]
    text = french if language == "fr" else english
    return text.format(**values) if values else text


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    """The cookie's language when it is one of ``LANGUAGES``; else the first of
    ``Accept-Language`` (by quality, ``fr-FR`` counts as ``fr``); else ``DEFAULT_LANGUAGE``."""
    if cookie in LANGUAGES:
        return cookie
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, index, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE
