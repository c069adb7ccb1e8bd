//! A streaming reader of AAF files (`ficAlimMENESR`): one [`Entry`] at a time, whatever the
//! size of the file. The encoding comes from the XML declaration (UTF-8 or ISO-8859-15).

use quick_xml::Reader;
use quick_xml::encoding::DecodingReader;
use quick_xml::events::Event;
use std::io::BufRead;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Modify,
    Delete,
}

/// One request of the feed: its operation, category, identifier and attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub op: Op,
    pub category: String,
    pub id: String,
    pub attrs: Vec<(String, Vec<String>)>,
}

impl Entry {
    fn new(op: Op) -> Entry {
        Entry { op, category: String::new(), id: String::new(), attrs: vec![] }
    }

    /// The values of an attribute (empty if absent).
    pub fn values(&self, name: &str) -> &[String] {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice()).unwrap_or(&[])
    }

    /// The first non-empty value of an attribute.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.values(name).iter().map(|v| v.trim()).find(|v| !v.is_empty())
    }
}

#[derive(Debug)]
pub struct ParseError {
    pub position: u64,
    pub message: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Section {
    None,
    Operational,
    Identifier,
    Attributes,
}

/// A pull reader of entries: `next_entry` returns one complete request at a time.
pub struct AafReader<R: BufRead> {
    reader: Reader<DecodingReader<R>>,
    buf: Vec<u8>,
    current: Option<Entry>,
    section: Section,
    attr: Option<(String, Vec<String>)>,
    text: Option<String>,
}

impl<R: BufRead> AafReader<R> {
    pub fn new(input: R) -> Self {
        AafReader {
            reader: Reader::from_reader(DecodingReader::new(input)),
            buf: Vec::with_capacity(4096),
            current: None,
            section: Section::None,
            attr: None,
            text: None,
        }
    }

    fn err(&self, m: String) -> ParseError {
        ParseError { position: self.reader.buffer_position(), message: m }
    }

    /// The next entry, `None` at the end of the file.
    /// Bytes of the input read so far.
    pub fn position(&self) -> u64 {
        self.reader.buffer_position()
    }

    pub fn next_entry(&mut self) -> Result<Option<Entry>, ParseError> {
        loop {
            self.buf.clear();
            let event = self.reader.read_event_into(&mut self.buf).map_err(|e| ParseError { position: 0, message: e.to_string() })?.into_owned();
            let (start, empty) = match &event {
                Event::Start(e) => (Some(e), false),
                Event::Empty(e) => (Some(e), true),
                _ => (None, false),
            };
            if let Some(e) = start {
                self.open(e, empty)?;
                continue;
            }
            match event {
                Event::Decl(d) => {
                    if let Some(encoding) = d.encoder() {
                        self.reader.get_mut().set_encoding(encoding);
                    }
                }
                Event::Text(t) => {
                    if let Some(s) = self.text.as_mut() {
                        s.push_str(&t);
                    }
                }
                Event::GeneralRef(r) => {
                    if let Some(s) = self.text.as_mut() {
                        push_entity(s, &r);
                    }
                }
                Event::CData(c) => {
                    if let Some(s) = self.text.as_mut() {
                        s.push_str(&c);
                    }
                }
                Event::End(e) => {
                    if let Some(entry) = self.close(e.local_name().as_ref()) {
                        return Ok(Some(entry));
                    }
                }
                Event::Eof => return Ok(None),
                _ => {}
            }
        }
    }

    fn open(&mut self, e: &quick_xml::events::BytesStart<'_>, empty: bool) -> Result<(), ParseError> {
        match e.local_name().as_ref() {
            "addRequest" => self.current = Some(Entry::new(Op::Add)),
            "modifyRequest" => self.current = Some(Entry::new(Op::Modify)),
            "deleteRequest" => self.current = Some(Entry::new(Op::Delete)),
            "operationalAttributes" => self.section = Section::Operational,
            "identifier" => self.section = Section::Identifier,
            "attributes" | "modifications" => self.section = Section::Attributes,
            "attr" | "modification" => {
                let mut attr_name = String::new();
                for a in e.attributes().flatten() {
                    if a.key.as_ref() == "name" {
                        attr_name = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(|x| self.err(x.to_string()))?.into_owned();
                    }
                }
                self.attr = Some((attr_name, vec![]));
                if empty {
                    close_attr(&mut self.attr, &mut self.current, self.section);
                }
            }
            // `<value/>` is an empty value.
            "value" if empty => {
                if let Some((_, values)) = self.attr.as_mut() {
                    values.push(String::new());
                }
            }
            "value" | "id" if !empty => self.text = Some(String::new()),
            _ => {}
        }
        Ok(())
    }

    fn close(&mut self, name: &str) -> Option<Entry> {
        match name {
            "value" => {
                let v = self.text.take().unwrap_or_default();
                if let Some((_, values)) = self.attr.as_mut() {
                    values.push(v);
                }
            }
            "id" => {
                let v = self.text.take().unwrap_or_default();
                if let Some(c) = self.current.as_mut() {
                    c.id = v.trim().to_owned();
                }
            }
            "attr" | "modification" => close_attr(&mut self.attr, &mut self.current, self.section),
            "operationalAttributes" | "identifier" | "attributes" | "modifications" => self.section = Section::None,
            "addRequest" | "modifyRequest" | "deleteRequest" => return self.current.take(),
            _ => {}
        }
        None
    }
}

/// Reads every entry of `input`, calling `each`; stops at the first error `each` returns.
pub fn read_entries<R: BufRead, E>(input: R, mut each: impl FnMut(Entry) -> Result<(), E>) -> Result<Result<(), E>, ParseError> {
    let mut r = AafReader::new(input);
    while let Some(entry) = r.next_entry()? {
        if let Err(e) = each(entry) {
            return Ok(Err(e));
        }
    }
    Ok(Ok(()))
}

fn close_attr(attr: &mut Option<(String, Vec<String>)>, current: &mut Option<Entry>, section: Section) {
    if let (Some((name, values)), Some(c)) = (attr.take(), current.as_mut()) {
        if section == Section::Operational {
            if name.starts_with("categorie") {
                c.category = values.into_iter().next().unwrap_or_default();
            }
        } else {
            c.attrs.push((name, values));
        }
    }
}

/// Appends a predefined entity (`&amp;`) or a character reference (`&#233;`, `&#xE9;`).
fn push_entity(s: &mut String, name: &str) {
    let c = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => name
            .strip_prefix("#x")
            .or_else(|| name.strip_prefix("#X"))
            .map(|h| u32::from_str_radix(h, 16))
            .or_else(|| name.strip_prefix('#').map(str::parse::<u32>))
            .and_then(Result::ok)
            .and_then(char::from_u32),
    };
    if let Some(c) = c {
        s.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ficAlimMENESR>
  <addRequest>
    <operationalAttributes><attr name="categoriePersonne"><value>Eleve</value></attr></operationalAttributes>
    <identifier><id>1234</id></identifier>
    <attributes>
      <attr name="sn"><value>Lefèvre &amp; Fils</value></attr>
      <attr name="ENTEleveClasses"><value>52006$4B</value><value>52006$4C</value></attr>
      <attr name="ENTPersonAutresPrenoms"><value/></attr>
    </attributes>
  </addRequest>
  <deleteRequest><operationalAttributes><attr name="categoriePersonne"><value>Eleve</value></attr></operationalAttributes><identifier><id>99</id></identifier></deleteRequest>
</ficAlimMENESR>"#;

    fn all(input: &[u8]) -> Vec<Entry> {
        let mut out = vec![];
        read_entries(input, |e| {
            out.push(e);
            Ok::<(), ()>(())
        })
        .unwrap()
        .unwrap();
        out
    }

    #[test]
    fn entries_are_read_with_their_values() {
        let entries = all(SAMPLE.as_bytes());
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].category, "Eleve");
        assert_eq!(entries[0].id, "1234");
        assert_eq!(entries[0].first("sn"), Some("Lefèvre & Fils"));
        assert_eq!(entries[0].values("ENTEleveClasses").len(), 2);
        assert_eq!(entries[0].values("ENTPersonAutresPrenoms"), [String::new()]);
        assert_eq!(entries[1].op, Op::Delete);
    }

    #[test]
    fn iso_8859_15_files_are_decoded() {
        let latin = SAMPLE.replace("UTF-8", "ISO-8859-15");
        // "è" is 0xE8 in ISO-8859-15.
        let bytes: Vec<u8> = latin.chars().map(|c| if c == 'è' { 0xE8 } else { c as u8 }).collect();
        assert_eq!(all(&bytes)[0].first("sn"), Some("Lefèvre & Fils"));
    }

    #[test]
    fn malformed_xml_is_an_error_with_a_position() {
        let r = read_entries("<ficAlimMENESR><addRequest></attributes>".as_bytes(), |_| Ok::<(), ()>(()));
        assert!(r.is_err());
    }
}

#[cfg(test)]
mod speed {
    #[test]
    #[ignore = "manual timing of the parser on a generated feed in PREAU_PARSE_DIR"]
    fn parse_speed() {
        let dir = std::env::var("PREAU_PARSE_DIR").unwrap();
        let t = std::time::Instant::now();
        let mut n = 0;
        for e in std::fs::read_dir(dir).unwrap() {
            let f = std::fs::File::open(e.unwrap().path()).unwrap();
            let mut r = super::AafReader::new(std::io::BufReader::new(f));
            while let Some(entry) = r.next_entry().unwrap() {
                n += entry.attrs.len();
            }
        }
        eprintln!("parsed {n} attributes in {:?}", t.elapsed());
    }
}
