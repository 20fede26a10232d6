//! The words of a verdict: each [`Finding`] rendered as one sentence, counts and rates
//! only. Kept in one place so Markdown, HTML and JSON say the same, and the word
//! "genuine" is kept for what the verdict concludes — a line *matches*; a sample *is*
//! genuine.

use breachcheck_verdict::{Finding, QualitySignal, Shape};

fn pct(k: f64, n: u64) -> String {
    if n == 0 {
        "0%".into()
    } else {
        format!("{:.1}%", 100.0 * k / n as f64)
    }
}

fn lines(k: f64) -> String {
    if (k - k.round()).abs() < 0.05 {
        format!("{:.0}", k)
    } else {
        format!("{k:.1}")
    }
}

fn shape(s: &Shape) -> String {
    let fields: Vec<&str> = s.fields.iter().map(|f| f.as_str()).collect();
    format!(
        "{} line(s) with {} ({} of them the company's customers)",
        s.lines,
        fields.join(", "),
        s.customers
    )
}

/// One finding as a sentence.
pub fn render(f: &Finding) -> String {
    match f {
        Finding::NoRecords => "no record could be read from the sample".into(),
        Finding::UnreadableColumns { empty, lines } => format!(
            "{empty} of {lines} records have no field breachcheck could use (no column was recognised as a name, e-mail, phone, address, date of birth or id): check the column roles with `breachcheck inspect` and name them with --map"
        ),
        Finding::Canary { lines, systems } => format!(
            "{lines} line(s) match planted canary records (planted in: {}) on the canary's own e-mail or two identifying fields; canaries exist nowhere but inside the company's systems",
            systems.join(", ")
        ),
        Finding::CompanyLines {
            lines: k,
            of,
            statistic,
            critical,
        } => format!(
            "the lines need copies of the company's records to be explained: about {} of {of} lines ({}) are copies by the fitted source model, which explains the sample {statistic:.1} log-likelihood units (2 ln Λ) better with copies than with any mix of other real and made-up people (decided at {critical})",
            lines(*k),
            pct(*k, *of)
        ),
        Finding::NoCompanyLines {
            upper,
            of,
            statistic,
            critical,
        } => format!(
            "no copy of the company's records is needed to explain the {of} lines (2 ln Λ = {statistic:.1}, below {critical}): with 95% confidence at most {:.1}% of lines like these are the company's copies",
            100.0 * upper
        ),
        Finding::CopiesOnly { statistic } => format!(
            "copies of the company's records explain every line: a fit with other sources added is no better (2 ln Λ = {statistic:.1}); lines the linkage could not confirm are within its own miss rate"
        ),
        Finding::Matched {
            whole,
            internal_id,
            rare_form,
            joined,
            partial,
            none,
            of,
        } => {
            let mut s = format!(
                "what the lines matched: {whole} of {of} ({}) match one of the company's records on every personal field they carry",
                pct(*whole as f64, *of)
            );
            if *internal_id > 0 || *rare_form > 0 {
                s.push_str(&format!(
                    " ({internal_id} with the system's own id, {rare_form} reproducing a rarely used way of writing a value)"
                ));
            }
            if *joined > 0 {
                s.push_str(&format!(
                    "; {joined} agree field by field with several records of one person (as a join of the company's tables would, or another holder of that person's data)"
                ));
            }
            s.push_str(&format!(
                "; {partial} share only some value with a record; {none} match nothing"
            ));
            s
        }
        Finding::SamePeopleOtherData { lines: k, of, overlap } => format!(
            "about {} of {of} lines ({}) are the company's customers as another source holds them — some with the values the company holds, some with other ids, addresses or columns it does not keep; {:.0}% of the lines that are not copies are customers: the same people, not copies of the company's records",
            lines(*k),
            pct(*k, *of),
            100.0 * overlap
        ),
        Finding::ForeignIds { lines } => format!(
            "{lines} line(s) match a customer on contact details while their id column names an id the company's record does not have: the ids are another system's"
        ),
        Finding::RenumberedIds { field, lines } => format!(
            "the {field} column names none of the company's ids on the {lines} line(s) of its customers that carry it: the seller's own numbering, another system's ids or the company's rewritten, which cannot tell a copy from another service — not weighed"
        ),
        Finding::Source {
            system,
            lines: k,
            others,
        } => {
            let mut s = format!(
                "the copies are of system {system} (about {} lines; its records agree with them and its people are theirs)",
                lines(*k)
            );
            if !others.is_empty() {
                let o: Vec<String> = others
                    .iter()
                    .map(|(n, l)| format!("{n} ({})", lines(*l)))
                    .collect();
                s.push_str(&format!("; also copies of {}", o.join(", ")));
            }
            s
        }
        Finding::Dating {
            system,
            from,
            to,
            bounded,
        } => {
            let mut s = format!(
                "dating: every copied record of {system} was present in the snapshots from {from} to {to}"
            );
            if bounded.0 {
                s.push_str(&format!("; some first appear at {from}, so the copy is not older"));
            }
            if bounded.1 {
                s.push_str(&format!(
                    "; some were gone from the snapshot after {to}, so the copy predates it"
                ));
            }
            s
        }
        Finding::DatingMixed { system } => format!(
            "dating: the copied records of {system} were present at different times: the sample mixes copies taken at different moments"
        ),
        Finding::Reference {
            corpus,
            registered,
            lines,
            of,
        } => format!(
            "{lines} line(s) ({}) match a record of the known breach \"{corpus}\" (registered {registered}) whole: that data circulated before",
            pct(*lines as f64, *of)
        ),
        Finding::LeakedBefore { lines: k } => format!(
            "about {} of the copied lines also appear in a registered earlier breach: the company's data, which circulated before — still the company's",
            lines(*k)
        ),
        Finding::NoReferenceMatch { corpora } => format!(
            "no line matches a record of the registered reference corpora ({}) whole",
            corpora.join(", ")
        ),
        Finding::NoReference => "no reference corpus (a known earlier breach or public directory) is registered, so whether these lines circulated before was not checked; add one with `breachcheck reference add`".into(),
        Finding::Shapes { shapes } => {
            let s: Vec<String> = shapes.iter().map(shape).collect();
            format!(
                "the rows come in shapes whose columns are (almost) never filled together, as rows of different sources merged into one table: {}",
                s.join("; ")
            )
        }
        Finding::PublicFieldsOnly => "the sample holds only public fields (names, phones, places; no e-mail, birth date, login or id): the pattern of a directory or scraped profiles".into(),
        Finding::SmallSample { lines, upper } => format!(
            "with {lines} lines, a share of the company's copies up to {:.0}% cannot be ruled out (95% interval); a larger sample decides",
            100.0 * upper
        ),
        Finding::Hypotheses { scores } => {
            let list: Vec<String> = scores
                .iter()
                .map(|(h, p)| format!("{} {:.1}%", h.as_str(), 100.0 * p))
                .collect();
            format!(
                "how strongly the sample favours each story (each story's best fit of the source model, a penalty per fitted share, equal priors): {}",
                list.join(", ")
            )
        }
        Finding::Fingerprint {
            field,
            ratio,
            sample,
            company,
        } => format!(
            "generator fingerprint: {field} values repeat {ratio:.0}× more often between the sample's lines ({:.2}% of {} random pairs) than between the company's records ({:.3}% of {}): drawn from a short list or a simple distribution, as data generators do",
            100.0 * sample.0,
            sample.1,
            100.0 * company.0,
            company.1
        ),
        Finding::Duplicates { lines, of } => format!(
            "{lines} line(s) ({}) repeat an earlier line field for field: generated data and padded compilations repeat, an export of one table rarely does",
            pct(*lines as f64, *of)
        ),
        Finding::Quality { signal, lines, of } => {
            let what = match signal {
                QualitySignal::PhoneImpossible => {
                    "a phone number with no valid reading in any plausible region"
                }
                QualitySignal::EmailInvalid => "an e-mail address with no registrable domain",
                QualitySignal::BirthDateImpossible => "an impossible date of birth",
                QualitySignal::EmailReserved => {
                    "an e-mail at a domain reserved for documentation or tests"
                }
            };
            format!("{lines} line(s) ({}) carry {what}", pct(*lines as f64, *of))
        }
        Finding::Baseline { expected, rate, of } => format!(
            "baseline: unrelated people would be taken for customers on about {expected:.1} line(s) of {of} by coincidence (rate {rate:.2e} per line, from how often unrelated people agree on each of the sample's fields and the size of the systems)"
        ),
        Finding::NothingCompanyOnly => "no copied line carries an internal id, a rarely used way of writing a value or a canary: the copy was re-formatted by the seller, or its columns are ones other lists share; the verdict rests on how many lines match and which system's people they are".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use breachcheck_core::MatchField;

    #[test]
    fn findings_read_as_sentences_without_the_word_genuine_for_lines() {
        let all = [
            Finding::Matched {
                whole: 200,
                internal_id: 0,
                rare_form: 3,
                joined: 0,
                partial: 100,
                none: 700,
                of: 1000,
            },
            Finding::SamePeopleOtherData {
                lines: 300.0,
                of: 1000,
                overlap: 0.3,
            },
            Finding::NoCompanyLines {
                upper: 0.004,
                of: 1000,
                statistic: 1.2,
                critical: 13.8,
            },
            Finding::Shapes {
                shapes: vec![Shape {
                    fields: vec![MatchField::Email, MatchField::Username],
                    lines: 40,
                    customers: 4,
                }],
            },
        ];
        let text: Vec<String> = all.iter().map(render).collect();
        assert_eq!(
            text[0],
            "what the lines matched: 200 of 1000 (20.0%) match one of the company's records on every personal field they carry (0 with the system's own id, 3 reproducing a rarely used way of writing a value); 100 share only some value with a record; 700 match nothing"
        );
        assert!(text[2].contains("at most 0.4%"), "{}", text[2]);
        assert!(text[3].contains("email, username"), "{}", text[3]);
        for t in &text {
            assert!(!t.contains("genuine"), "{t}");
        }
    }
}
