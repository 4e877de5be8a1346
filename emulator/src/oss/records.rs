//! Reading the small XML documents some requests carry (`<Delete>`, `<Tagging>`): a root element
//! holding a list of records, each a few text fields.

use crate::errors::OssError;

/// What [`read_records`] found.
#[derive(Debug, Default)]
pub(crate) struct Records {
    /// Each `<record>` element's fields, in order: `(name, text)`.
    pub(crate) records: Vec<Vec<(String, String)>>,
    /// The text of the elements outside the records (`<Quiet>`).
    pub(crate) fields: Vec<(String, String)>,
}

impl Records {
    /// The text of field `name` of a record.
    pub(crate) fn field<'a>(record: &'a [(String, String)], name: &str) -> Option<&'a str> {
        record
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads a document whose root element is `root`, collecting every `<record>` element (at any
/// depth below the root) with the text of its fields. A field written as an empty element
/// (`<Key/>`) counts, as the empty string, only when its name is in `empty_ok`; a field with no
/// text at all is absent. Anything that is not well-formed XML with that root is
/// `MalformedXML`.
pub(crate) fn read_records(
    xml: &[u8],
    root: &str,
    record: &str,
    empty_ok: &[&str],
) -> Result<Records, OssError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut out = Records::default();
    let mut path: Vec<String> = Vec::new();
    let mut current: Option<Vec<(String, String)>> = None;
    let mut buf = Vec::new();
    let mut saw_root = false;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if path.is_empty() {
                    if name != root {
                        return Err(OssError::malformed_xml());
                    }
                    saw_root = true;
                }
                if name == record {
                    current = Some(Vec::new());
                }
                path.push(name);
            }
            Ok(Event::Empty(e)) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if let (Some(fields), true) = (current.as_mut(), empty_ok.contains(&name.as_str()))
                {
                    add(fields, &name, "");
                }
            }
            // The guard pops every closing element; `</record>` ends a record.
            Ok(Event::End(_)) if path.pop().as_deref() == Some(record) => {
                out.records.extend(current.take());
            }
            Ok(Event::Text(t)) => {
                let text = t.unescape().map_err(|_| OssError::malformed_xml())?;
                match (current.as_mut(), path.last()) {
                    (Some(fields), Some(name)) if name != record => add(fields, name, &text),
                    (None, Some(name)) if path.len() > 1 => add(&mut out.fields, name, &text),
                    _ => {}
                }
            }
            Ok(Event::Eof) => break,
            Err(_) => return Err(OssError::malformed_xml()),
            _ => {}
        }
        buf.clear();
    }
    if !path.is_empty() || !saw_root {
        return Err(OssError::malformed_xml());
    }
    Ok(out)
}

/// Appends `text` to field `name` (text may come in pieces), or adds the field.
fn add(fields: &mut Vec<(String, String)>, name: &str, text: &str) {
    match fields.iter_mut().find(|(n, _)| n == name) {
        Some((_, v)) => v.push_str(text),
        None => fields.push((name.to_owned(), text.to_owned())),
    }
}
