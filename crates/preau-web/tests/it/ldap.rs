//! The LDAP source against a real OpenLDAP server: `.ci/run` installs Debian's `slapd` and
//! `ldap-utils` and runs these tests with `PREAU_TEST_SLAPD` pointing at the server binary; each
//! test starts its own server on a free port with a fresh database.

use crate::app::*;
use preau_core::{Error, Profile};
use preau_directory::DirectoryStore;
use preau_feeds::csv_import::{CsvOptions, CsvProfile};
use preau_feeds::ldap::{LdapSource, import_ldap};
use preau_feeds::report::Outcome;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

const SUFFIX: &str = "dc=agri,dc=fr";
const ADMIN: &str = "cn=admin,dc=agri,dc=fr";

struct Slapd {
    child: Child,
    url: String,
    dir: PathBuf,
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Slapd {
    fn start() -> Slapd {
        let binary = std::env::var("PREAU_TEST_SLAPD").expect("PREAU_TEST_SLAPD=/usr/sbin/slapd");
        let dir = std::env::temp_dir().join(format!("preau-slapd-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(dir.join("db")).expect("dir");
        let conf = format!(
            "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\ninclude /etc/ldap/schema/inetorgperson.schema\n\
             pidfile {d}/slapd.pid\nmodulepath /usr/lib/ldap\nmoduleload back_mdb\ndatabase mdb\nmaxsize 10485760\n\
             suffix \"{SUFFIX}\"\nrootdn \"{ADMIN}\"\nrootpw secret\ndirectory {d}/db\n",
            d = dir.display()
        );
        std::fs::write(dir.join("slapd.conf"), conf).expect("conf");
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let url = format!("ldap://127.0.0.1:{port}");
        let child = Command::new(binary)
            .arg("-f")
            .arg(dir.join("slapd.conf"))
            .arg("-h")
            .arg(format!("{url}/"))
            .args(["-d", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start slapd");
        let s = Slapd { child, url, dir };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        s.add(&format!("dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Agri\ndc: agri\n\ndn: ou=agents,{SUFFIX}\nobjectClass: organizationalUnit\nou: agents\n"));
        s
    }

    fn ldif(&self, tool: &str, ldif: &str) {
        let file = self.dir.join("change.ldif");
        std::fs::write(&file, ldif).expect("ldif");
        let out = Command::new(tool).args(["-x", "-H", &self.url, "-D", ADMIN, "-w", "secret", "-f"]).arg(&file).output().expect(tool);
        assert!(out.status.success(), "{tool}: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn add(&self, ldif: &str) {
        self.ldif("ldapadd", ldif);
    }

    fn delete(&self, dn: &str) {
        let out = Command::new("ldapdelete").args(["-x", "-H", &self.url, "-D", ADMIN, "-w", "secret", dn]).output().expect("ldapdelete");
        assert!(out.status.success());
    }

    fn source(&self) -> LdapSource {
        LdapSource {
            url: self.url.clone(),
            starttls: false,
            bind_dn: Some(ADMIN.into()),
            password: Some("secret".into()),
            base: format!("ou=agents,{SUFFIX}"),
            filter: "(objectClass=inetOrgPerson)".into(),
            mapping: vec![("Identifiant".into(), "employeeNumber".into())],
        }
    }
}

fn agent(uid: &str, number: &str, given: &str, family: &str) -> String {
    format!(
        "dn: uid={uid},ou=agents,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\nemployeeNumber: {number}\nsn: {family}\ngivenName: {given}\ncn: {given} {family}\nmail: {uid}@agri.fr\n\n"
    )
}

fn opts(dry_run: bool) -> CsvOptions {
    CsvOptions { uai: "0290009C".into(), profile: CsvProfile::Staff, dry_run, mapping: vec![] }
}

#[tokio::test]
#[ignore = "needs slapd; run by .ci/run"]
async fn agents_come_from_a_real_slapd_and_follow_its_changes() {
    let ldap = Slapd::start();
    ldap.add(&(agent("emartin", "A-1", "Élodie", "Martin") + &agent("jdurand", "A-2", "Jean", "Durand")));
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Lycée agricole").await;
    let src = ldap.source();
    let r = import_ldap(&*app.state.store, &app.system, &src, &opts(false), T0).await.expect("import");
    assert_eq!(r.get("Personnels (LDAP)", Outcome::Created), 2, "{r}");
    let staff = app.state.store.people_in(school.id, Some(Profile::Staff), "", 10).await.expect("people");
    let elodie = staff.iter().map(|(p, _)| p).find(|p| p.given_name == "Élodie").expect("accents kept");
    assert_eq!(elodie.email.as_deref(), Some("emartin@agri.fr"));

    let again = import_ldap(&*app.state.store, &app.system, &src, &opts(false), T0).await.expect("again");
    assert!(!again.changed_anything(), "re-importing the same directory changes nothing: {again}");

    ldap.delete(&format!("uid=jdurand,ou=agents,{SUFFIX}"));
    let r = import_ldap(&*app.state.store, &app.system, &src, &opts(false), T0).await.expect("after a departure");
    assert_eq!(r.get("Personnels (LDAP)", Outcome::Detached), 1, "{r}");
    assert_eq!(app.state.store.people_in(school.id, Some(Profile::Staff), "", 10).await.expect("people").len(), 1);
}

#[tokio::test]
#[ignore = "needs slapd; run by .ci/run"]
async fn a_wrong_entry_or_password_writes_nothing_and_another_school_is_refused() {
    let ldap = Slapd::start();
    // An entry without employeeNumber: its identifier is missing.
    ldap.add(
        &(agent("emartin", "A-1", "Élodie", "Martin")
            + &format!("dn: uid=nonum,ou=agents,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: nonum\nsn: Sans\ncn: Sans Numero\n\n")),
    );
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Lycée agricole").await;
    let r = import_ldap(&*app.state.store, &app.system, &ldap.source(), &opts(false), T0).await.expect("report");
    assert_eq!(r.rejected_total, 1);
    assert!(r.rejected.iter().any(|x| x.id.contains("uid=nonum") && x.reason.contains("Identifiant")), "the entry is named with its reason: {r}");
    assert!(app.state.store.people_in(school.id, None, "", 10).await.expect("people").is_empty(), "nothing written");

    let wrong = LdapSource { password: Some("nope".into()), ..ldap.source() };
    let e = import_ldap(&*app.state.store, &app.system, &wrong, &opts(false), T0).await;
    assert!(matches!(&e, Err(Error::Invalid(f)) if f[0].code.contains("annuaire LDAP")), "{e:?}");

    let other = app.school("0750654D", "Autre lycée").await;
    let local = app.local_admin(&other).await;
    let caller = app.state.directory.principal_for(app.system.territory, local.id).await.expect("principal");
    let e = import_ldap(&*app.state.store, &caller, &ldap.source(), &opts(true), T0).await;
    assert!(matches!(e, Err(Error::Forbidden)), "{e:?}");
}
