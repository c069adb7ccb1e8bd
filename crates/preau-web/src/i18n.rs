//! French first, English available. Messages are looked up by stable keys; domain error codes
//! (`uai.key`, `login.failed`…) are keys too, so errors read naturally in both languages.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Lang {
        if s.eq_ignore_ascii_case("en") { Lang::En } else { Lang::Fr }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }

    /// The message for `key`; the key itself when unknown (visible in tests, never a panic).
    pub fn t(self, key: &str) -> String {
        match MESSAGES.iter().find(|(k, _, _)| *k == key) {
            Some((_, fr, en)) => (if self == Lang::Fr { *fr } else { *en }).to_owned(),
            None => key.to_owned(),
        }
    }
}

/// Translator handed to templates: `{{ tr.t("key") }}`.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    pub fn t(&self, key: &str) -> String {
        self.0.t(key)
    }

    pub fn lang(&self) -> &'static str {
        self.0.code()
    }

    pub fn profile(&self, p: &preau_core::Profile) -> String {
        self.0.t(&format!("profile.{}", p.code()))
    }
}

const MESSAGES: &[(&str, &str, &str)] = &[
    ("app.name", "Préau", "Préau"),
    ("nav.skip", "Aller au contenu", "Skip to content"),
    ("nav.home", "Accueil", "Home"),
    ("nav.admin", "Administration", "Administration"),
    ("nav.account", "Mon compte", "My account"),
    ("nav.logout", "Se déconnecter", "Log out"),
    ("nav.lang", "English", "Français"),
    ("nav.main", "Navigation principale", "Main navigation"),
    ("nav.table", "Tableau (défilement horizontal possible)", "Table (may scroll sideways)"),
    ("login.title", "Connexion", "Log in"),
    ("login.login", "Identifiant", "Login"),
    ("login.password", "Mot de passe", "Password"),
    ("login.submit", "Se connecter", "Log in"),
    ("login.forgot", "Mot de passe oublié ?", "Forgotten password?"),
    ("login.first", "Première connexion ? Activez votre compte", "First time? Activate your account"),
    ("login.failed", "Identifiant ou mot de passe incorrect.", "Wrong login or password."),
    ("login.missing", "Saisissez votre identifiant et votre mot de passe.", "Enter your login and password."),
    (
        "login.blocked",
        "Ce compte est bloqué. Adressez-vous à l'administrateur de votre établissement.",
        "This account is blocked. Please contact your school's administrator.",
    ),
    ("login.welcome", "L'espace numérique de travail des écoles, collèges et lycées du territoire.", "The digital workspace of the territory's schools."),
    ("activate.title", "Activer mon compte", "Activate my account"),
    ("activate.code", "Code d'activation (sur votre courrier)", "Activation code (on your letter)"),
    ("activate.new_password", "Nouveau mot de passe (8 caractères au moins)", "New password (at least 8 characters)"),
    ("activate.confirm", "Confirmez le mot de passe", "Confirm the password"),
    ("activate.accept", "J'ai lu et j'accepte la charte d'utilisation", "I have read and accept the charter"),
    ("activate.submit", "Activer", "Activate"),
    ("activation.invalid", "Ce code d'activation n'est pas valide, a déjà servi ou a expiré.", "This activation code is invalid, already used or expired."),
    ("charter.title", "Charte d'utilisation", "Charter"),
    ("charter.new", "La charte a changé. Lisez-la et acceptez-la pour continuer.", "The charter has changed. Read and accept it to continue."),
    ("charter.required", "Vous devez accepter la charte.", "You must accept the charter."),
    ("charter.accept", "J'accepte la charte", "I accept the charter"),
    ("charter.none", "Le territoire n'a pas encore publié de charte.", "The territory has not published a charter yet."),
    ("forgot.title", "Mot de passe oublié", "Forgotten password"),
    (
        "forgot.help",
        "Saisissez votre identifiant : si une adresse e-mail est associée à votre compte, vous y recevrez un lien valable une heure.",
        "Enter your login: if your account has an e-mail address, you will receive a link valid for one hour.",
    ),
    ("forgot.submit", "Envoyer le lien", "Send the link"),
    ("forgot.sent", "Si ce compte a une adresse e-mail, un lien vient d'y être envoyé.", "If this account has an e-mail address, a link has been sent to it."),
    ("reset.title", "Nouveau mot de passe", "New password"),
    ("reset.done", "Votre mot de passe a été changé. Vous pouvez vous connecter.", "Your password has been changed. You can log in."),
    ("reset.invalid", "Ce lien n'est pas valide, a déjà servi ou a expiré.", "This link is invalid, already used or expired."),
    ("password.too_short", "Le mot de passe doit faire au moins 8 caractères.", "The password must be at least 8 characters long."),
    ("password.too_long", "Le mot de passe est trop long.", "The password is too long."),
    ("password.mismatch", "Les deux mots de passe ne sont pas identiques.", "The two passwords differ."),
    ("password.wrong", "Le mot de passe actuel est incorrect.", "The current password is wrong."),
    ("password.changed", "Mot de passe changé. Vos autres sessions ont été fermées.", "Password changed. Your other sessions were closed."),
    ("portal.title", "Mon espace", "My space"),
    ("portal.services", "Mes services", "My services"),
    ("portal.favourites", "Mes favoris", "My favourites"),
    ("portal.no_services", "Aucun service n'est encore proposé ici.", "No service is offered here yet."),
    ("portal.acting", "Vous êtes connecté en tant que", "You are acting as"),
    ("portal.switch", "Changer d'établissement ou de profil", "Switch school or profile"),
    ("portal.switch_submit", "Changer", "Switch"),
    ("portal.children", "Mes enfants", "My children"),
    ("portal.pick_child", "Voir son établissement", "Open their school"),
    ("portal.favourite", "Ajouter aux favoris", "Add to favourites"),
    ("portal.unfavourite", "Retirer des favoris", "Remove from favourites"),
    ("portal.notifications", "Notifications", "Notifications"),
    ("portal.no_notifications", "Aucune nouvelle notification.", "No new notification."),
    ("portal.external", "(site externe)", "(external site)"),
    ("portal.not_guardian", "contact, sans autorité parentale", "contact, not a legal guardian"),
    ("sessions.title", "Mes sessions", "My sessions"),
    ("sessions.current", "cette session", "this session"),
    ("sessions.started", "Ouverte le", "Opened"),
    ("sessions.last", "Dernière activité", "Last activity"),
    ("sessions.from", "Depuis", "From"),
    ("sessions.logout_others", "Déconnecter mes autres sessions", "Log out my other sessions"),
    ("sessions.closed", "Vos autres sessions ont été fermées.", "Your other sessions were closed."),
    ("account.password", "Changer mon mot de passe", "Change my password"),
    ("account.current", "Mot de passe actuel", "Current password"),
    ("account.save", "Enregistrer", "Save"),
    ("public.contact", "Contact", "Contact"),
    ("public.address", "Adresse", "Address"),
    ("public.login", "Se connecter à l'ENT", "Log in to the ENT"),
    ("profile.ELV", "Élève", "Pupil"),
    ("profile.TUT", "Parent", "Parent"),
    ("profile.ENS", "Enseignant", "Teacher"),
    ("profile.DIR", "Direction", "Head"),
    ("profile.EVS", "Vie scolaire", "School life"),
    ("profile.ETA", "Personnel administratif et technique", "Administrative staff"),
    ("profile.ACA", "Académie", "Académie"),
    ("profile.DOC", "Documentaliste", "Documentalist"),
    ("profile.COL", "Collectivité", "Local authority"),
    ("profile.GUEST", "Invité", "Guest"),
    ("admin.title", "Console d'administration", "Admin console"),
    ("admin.structures", "Établissements", "Schools"),
    ("admin.new_structure", "Nouvel établissement", "New school"),
    ("admin.edit_structure", "Modifier l'établissement", "Edit the school"),
    ("admin.people", "Personnes", "People"),
    ("admin.groups", "Classes et groupes", "Classes and groups"),
    ("admin.new_person", "Nouvelle personne", "New person"),
    ("admin.new_group", "Nouvelle classe ou nouveau groupe", "New class or group"),
    ("admin.bouquet", "Services proposés", "Services offered"),
    (
        "admin.bouquet_help",
        "Cochez les services de ce profil et donnez leur ordre (1 en premier).",
        "Tick this profile's services and give their order (1 first).",
    ),
    ("admin.roles", "Rôles", "Roles"),
    ("admin.catalogue", "Catalogue des services", "Service catalogue"),
    ("admin.audit", "Journal d'audit", "Audit log"),
    ("admin.keys", "Clés d'API", "API keys"),
    ("admin.imports", "Imports de l'annuaire", "Directory imports"),
    ("imports.title", "Imports de l'annuaire (AAF)", "Directory imports (AAF)"),
    ("imports.upload", "Importer une extraction complète", "Import a full extract set"),
    (
        "imports.help",
        "Choisissez tous les fichiers XML de l'extraction (établissements, matières, MEF, élèves, responsables, personnels). Une simulation montre le rapport sans rien modifier ; vous pourrez ensuite l'appliquer.",
        "Choose every XML file of the extract set. A dry run shows the report without changing anything; you can then apply it.",
    ),
    ("imports.dry_run", "Simulation (ne rien modifier)", "Dry run (change nothing)"),
    ("imports.files", "Fichiers de l'extraction", "Extract files"),
    ("imports.submit", "Envoyer", "Upload"),
    ("imports.reports", "Rapports conservés", "Kept reports"),
    ("imports.source", "Source", "Source"),
    ("imports.summary", "Résumé", "Summary"),
    ("imports.report", "Rapport d'import", "Import report"),
    ("imports.failed", "L'import a échoué, rien n'a été modifié :", "The import failed, nothing was changed:"),
    ("imports.was_dry_run", "Simulation : rien n'a été modifié.", "Dry run: nothing was changed."),
    ("imports.applied", "Import appliqué.", "Import applied."),
    ("imports.apply", "Appliquer cet import", "Apply this import"),
    ("imports.category", "Catégorie", "Category"),
    ("imports.rejected", "Enregistrements rejetés", "Rejected records"),
    ("imports.file", "Fichier", "File"),
    ("imports.reason", "Raison", "Reason"),
    ("imports.warnings", "Avertissements", "Warnings"),
    ("imports.no_files", "Aucun fichier d'extraction AAF reçu.", "No AAF extract file received."),
    ("imports.refused", "Fichiers ignorés (nom non reconnu) :", "Files ignored (name not recognised):"),
    ("academie.format", "Nom d'académie invalide.", "Invalid académie name."),
    (
        "aaf.mixed",
        "Un import contient soit une extraction complète, soit un delta, pas les deux.",
        "An import holds either a full extract set or a delta, not both.",
    ),
    ("aaf.no_files", "Le dossier ne contient aucun fichier d'extraction AAF.", "The folder holds no AAF extract file."),
    ("admin.charter", "Charte", "Charter"),
    ("admin.publish", "Publier une nouvelle version", "Publish a new version"),
    ("admin.create", "Créer", "Create"),
    ("admin.save", "Enregistrer", "Save"),
    ("admin.search", "Rechercher", "Search"),
    ("admin.block", "Bloquer le compte", "Block the account"),
    ("admin.unblock", "Débloquer le compte", "Unblock the account"),
    ("admin.blocked", "Compte bloqué", "Account blocked"),
    ("admin.activated", "Compte activé", "Account activated"),
    ("admin.not_activated", "Compte non activé", "Account not activated"),
    ("admin.issue_code", "Générer un code d'activation", "Issue an activation code"),
    ("admin.code_issued", "Code d'activation à remettre", "Activation code to hand over"),
    ("admin.letters", "Imprimer les codes d'activation de la classe", "Print the class's activation letters"),
    (
        "admin.letters_warning",
        "Chaque impression génère de nouveaux codes et annule les précédents pour les comptes non activés.",
        "Each printing issues new codes and cancels earlier ones for accounts not yet activated.",
    ),
    ("admin.members", "Membres", "Members"),
    ("admin.add_member", "Ajouter un membre (identifiant)", "Add a member (login)"),
    ("admin.remove", "Retirer", "Remove"),
    ("admin.grant", "Attribuer", "Grant"),
    ("admin.revoke", "Retirer", "Revoke"),
    ("admin.issue_key", "Émettre une clé", "Issue a key"),
    ("admin.key_once", "Copiez cette clé maintenant : elle ne sera plus affichée.", "Copy this key now: it will not be shown again."),
    ("admin.parent_link", "Lier un parent (identifiant du parent)", "Link a parent (parent's login)"),
    ("admin.legal_guardian", "Responsable légal", "Legal guardian"),
    ("scim.uniqueness", "Cet identifiant (userName) est déjà pris.", "This userName is already taken."),
    ("scim.invalid_value", "Valeur invalide.", "Invalid value."),
    ("scim.token", "Jeton SCIM absent, inconnu ou révoqué.", "Missing, unknown or revoked SCIM token."),
    ("scim.unknown_structure", "Établissement inconnu (UAI).", "Unknown structure (UAI)."),
    ("scim.no_structure", "Indiquez au moins un établissement.", "Give at least one structure."),
    ("scim.structure_required", "Indiquez l'établissement du groupe (cette source en a plusieurs).", "Give the group's structure (this source has several)."),
    ("admin.scim", "Sources SCIM", "SCIM sources"),
    (
        "admin.scim_intro",
        "Un annuaire extérieur (collectivité, lycée agricole…) pousse ses comptes par SCIM 2.0 avec le jeton de sa source ; il ne voit et ne modifie que les personnes et groupes qu'il a créés, dans ses établissements. Point d'accès :",
        "An outside directory (local authority, agricultural school…) pushes its accounts over SCIM 2.0 with its source's token; it only sees and changes the people and groups it created, in its structures. Endpoint:",
    ),
    ("admin.scim_uais", "UAI des établissements", "UAI of the structures"),
    ("admin.scim_uais_help", "Séparés par des virgules, par exemple 0290009C, 0290010D", "Separated by commas, for example 0290009C, 0290010D"),
    ("admin.scim_create", "Créer la source et son jeton", "Create the source and its token"),
    ("admin.duplicates", "Doublons probables", "Probable duplicates"),
    (
        "admin.duplicates_intro",
        "Une personne créée à la main puis arrivée par l'annuaire a deux comptes. Fusionner garde le compte créé à la main (mot de passe, favoris, historique), qui prend les classes et établissements de l'annuaire ; l'identifiant de l'autre compte devient un alias.",
        "A person created by hand who then arrived through the directory has two accounts. Merging keeps the hand-made account (password, favourites, history), which takes the directory's classes and schools; the other account's login becomes an alias.",
    ),
    ("admin.duplicates_none", "Aucun doublon probable.", "No probable duplicate."),
    ("admin.duplicate_manual", "compte créé à la main", "account created by hand"),
    ("admin.duplicate_fed", "compte de l'annuaire", "directory account"),
    ("admin.duplicate_merge", "Fusionner", "Merge"),
    ("admin.duplicate_reject", "Ce sont deux personnes différentes", "They are two different people"),
    ("imports.running", "Import en cours", "Import running"),
    ("imports.dry_run_short", "simulation", "dry run"),
    ("imports.progress", "Avancement de l'import", "Import progress"),
    ("imports.entries_read", "entrées lues", "entries read"),
    (
        "imports.running_help",
        "Vous pouvez quitter cette page : l'import continue et son rapport sera conservé dans la liste des imports.",
        "You may leave this page: the import goes on and its report will be kept in the list of imports.",
    ),
    ("imports.refresh", "Actualiser", "Refresh"),
    ("admin.contact", "Contact, sans autorité parentale", "Contact, not a legal guardian"),
    ("admin.relatives", "Responsables et contacts", "Guardians and contacts"),
    ("admin.children", "Enfants", "Children"),
    ("admin.state", "État du compte", "Account state"),
    ("admin.alias", "Ajouter un alias de connexion", "Add a login alias"),
    ("admin.add_profile", "Ajouter un profil dans l'établissement", "Add a profile in the school"),
    ("field.uai", "UAI", "UAI"),
    ("field.name", "Nom", "Name"),
    ("field.kind", "Type", "Kind"),
    ("field.academie", "Académie", "Académie"),
    ("field.address", "Adresse", "Address"),
    ("field.postal_code", "Code postal", "Postal code"),
    ("field.city", "Commune", "Town"),
    ("field.phone", "Téléphone", "Phone"),
    ("field.email", "Courriel", "E-mail"),
    ("field.parent", "Structure de rattachement", "Parent structure"),
    ("field.given_name", "Prénom", "Given name"),
    ("field.family_name", "Nom de famille", "Family name"),
    ("field.birth_date", "Date de naissance", "Birth date"),
    ("field.profile", "Profil", "Profile"),
    ("field.code", "Code", "Code"),
    ("field.url", "Adresse (URL)", "Address (URL)"),
    ("field.icon", "Icône", "Icon"),
    ("field.role", "Rôle", "Role"),
    ("field.login", "Identifiant", "Login"),
    ("field.none", "Aucune", "None"),
    ("field.required", "Ce champ est obligatoire.", "This field is required."),
    ("field.text", "Texte", "Text"),
    ("kind.ecole", "École", "Primary school"),
    ("kind.college", "Collège", "Collège"),
    ("kind.lycee", "Lycée", "Lycée"),
    ("kind.lycee_agricole", "Lycée agricole", "Agricultural lycée"),
    ("kind.other", "Autre", "Other"),
    ("group.class", "Classe", "Class"),
    ("group.teaching", "Groupe d'enseignement", "Teaching group"),
    ("group.functional", "Groupe fonctionnel", "Functional group"),
    ("group.manual", "Groupe libre", "Manual group"),
    ("role.territory_admin", "Administrateur du territoire", "Territory administrator"),
    ("role.local_admin", "Administrateur local", "Local administrator"),
    ("role.moderator", "Modérateur", "Moderator"),
    ("uai.format", "Un UAI compte 7 chiffres suivis d'une lettre (ex. 0290009C).", "A UAI is 7 digits and a letter (e.g. 0290009C)."),
    ("uai.key", "La lettre de contrôle de cet UAI est fausse.", "This UAI's check letter is wrong."),
    ("uai.taken", "Un établissement porte déjà cet UAI.", "A school already has this UAI."),
    ("structure.kind", "Choisissez un type d'établissement.", "Choose a kind of school."),
    ("structure.parent", "Structure de rattachement inconnue.", "Unknown parent structure."),
    ("postal_code.format", "Un code postal compte 5 chiffres.", "A postal code is 5 digits."),
    ("email.format", "Adresse e-mail invalide.", "Invalid e-mail address."),
    ("date.format", "Date invalide (AAAA-MM-JJ).", "Invalid date (YYYY-MM-DD)."),
    ("profile.unknown", "Profil inconnu.", "Unknown profile."),
    ("login.taken", "Cet identifiant est déjà utilisé.", "This login is already taken."),
    ("login.format", "Un identifiant compte 3 à 64 lettres, chiffres, points ou tirets.", "A login is 3 to 64 letters, digits, dots or dashes."),
    ("group.kind", "Type de groupe inconnu.", "Unknown group kind."),
    ("group.code_taken", "Ce code est déjà utilisé dans l'établissement.", "This code is already used in the school."),
    ("group.member_outside", "Cette personne n'appartient pas à l'établissement du groupe.", "This person does not belong to the group's school."),
    ("service.code", "Le code ne contient que des lettres, chiffres, - ou _.", "The code holds letters, digits, - or _ only."),
    ("service.kind", "Type de service inconnu.", "Unknown kind of service."),
    ("service.url", "Adresse invalide : un chemin interne (/…) ou un lien http(s)://.", "Invalid address: an internal path (/…) or an http(s):// link."),
    ("service.icon", "Icône inconnue.", "Unknown icon."),
    ("service.unknown", "Service inconnu.", "Unknown service."),
    ("service.code_taken", "Ce code de service existe déjà.", "This service code already exists."),
    (
        "cas.service_unknown",
        "Ce service n'est pas enregistré dans l'ENT : la connexion est refusée.",
        "This service is not registered in the ENT: sign-in refused.",
    ),
    ("cas.signing_in_to", "Connexion au service", "Signing in to"),
    (
        "cas.logged_out",
        "Vous êtes déconnecté de l'ENT et des services où vous étiez connecté.",
        "You are logged out of the ENT and of the services you were signed in to.",
    ),
    ("connector.attribute", "Attribut inconnu dans la politique de diffusion.", "Unknown attribute in the release policy."),
    (
        "connector.release_name",
        "Un nom diffusé commence par une lettre et ne contient que lettres, chiffres, _, - ou point.",
        "A released name starts with a letter and holds letters, digits, _, - or dots only.",
    ),
    ("connector.protocol", "Protocole inconnu.", "Unknown protocol."),
    ("connector.subject", "Identifiant diffusé inconnu (login, pairwise ou transient).", "Unknown released identifier (login, pairwise or transient)."),
    ("connector.service_urls", "Un connecteur CAS déclare au moins une adresse de service.", "A CAS connector lists at least one service address."),
    (
        "connector.outside_owner",
        "Un connecteur d'établissement n'est proposé que dans cet établissement.",
        "A school's connector is offered in that school only.",
    ),
    ("connector.profiles", "Choisissez au moins un profil.", "Choose at least one profile."),
    ("connector.link_releases", "Un simple lien ne diffuse aucun attribut.", "A plain link releases no attribute."),
    ("structure.unknown", "Établissement inconnu.", "Unknown school."),
    ("role.scope", "Ce rôle ne peut pas être attribué à ce niveau.", "This role cannot be granted at this level."),
    ("role.unknown", "Rôle inconnu.", "Unknown role."),
    ("parent.self", "Une personne ne peut pas être son propre parent.", "A person cannot be their own parent."),
    ("parent.child_not_pupil", "L'enfant doit avoir un profil élève.", "The child must have a pupil profile."),
    ("block.self", "Vous ne pouvez pas bloquer votre propre compte.", "You cannot block your own account."),
    ("error.title", "Une erreur est survenue", "Something went wrong"),
    ("error.forbidden", "Vous n'avez pas le droit de faire cela.", "You are not allowed to do this."),
    ("error.not-found", "Cette page n'existe pas.", "This page does not exist."),
    ("error.unauthenticated", "Connectez-vous pour continuer.", "Log in to continue."),
    ("error.too-many-attempts", "Trop de tentatives. Réessayez dans quelques instants.", "Too many attempts. Try again in a moment."),
    ("error.overloaded", "Le service est très sollicité. Réessayez dans une seconde.", "The service is very busy. Try again in a second."),
    ("error.conflict", "Cette donnée existe déjà.", "This already exists."),
    ("error.internal", "Une erreur interne est survenue. Elle a été enregistrée.", "An internal error occurred. It has been logged."),
    ("error.invalid-input", "Certaines informations sont incorrectes.", "Some information is incorrect."),
    ("error.csrf", "Le formulaire a expiré. Rechargez la page et recommencez.", "The form has expired. Reload the page and try again."),
    ("error.bad-request", "La requête est mal formée.", "The request is malformed."),
    ("error.too-large", "La requête est trop volumineuse.", "The request is too large."),
    ("error.back", "Revenir à l'accueil", "Back to the home page"),
    (
        "group.archived",
        "Cette classe appartient à une année scolaire close : elle ne se modifie plus.",
        "This class belongs to a closed school year: it can no longer be changed.",
    ),
    ("year.format", "Une année scolaire s'écrit 2025-2026.", "A school year is written 2025-2026."),
    ("admin.close_year", "Clore l'année scolaire", "Close the school year"),
    (
        "admin.close_year_help",
        "Les classes et groupes de l'année sont archivés (lisibles, non modifiables) ; les élèves attendent l'annuaire de la nouvelle année ; rien n'est supprimé.",
        "Classes and groups of the year are archived (readable, read-only); pupils wait for the new year's feed; nothing is deleted.",
    ),
    ("admin.year", "Année scolaire", "School year"),
    ("admin.archived", "archivée", "archived"),
    ("saved", "Modifications enregistrées.", "Changes saved."),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_both_languages() {
        for (k, fr, en) in MESSAGES {
            assert!(!fr.is_empty() && !en.is_empty(), "{k}");
        }
        let mut keys: Vec<&str> = MESSAGES.iter().map(|m| m.0).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(n, keys.len(), "duplicate message keys");
    }
}
