//! Pull (NF-88): read a consistent snapshot of the whole namespace or one table.
//!
//! A pull is several dumps (tables, chains, rules, sets, objects, flowtables, then the elements
//! of each set). The generation is read before and after; if it changed, or a dump came back
//! interrupted, the pull starts over, so the result is one committed state.

use super::batch::Nft;
use super::codec::{self, Decoded, Generation};
use super::model::{Family, Ruleset, Table};
use crate::error::{Errno, Error, Result, Subsystem};
use crate::netlink::Request;

/// How many times a pull restarts when the ruleset changes under it.
pub const PULL_RETRIES: u32 = 8;

impl Nft {
    /// Pulls every table of the namespace.
    ///
    /// # Errors
    /// Kernel errors; [`Error::DumpInterrupted`] when the ruleset kept changing.
    ///
    /// ```no_run
    /// let mut nft = linx::netfilter::Nft::open(&linx::ns::NsTarget::Current)?;
    /// let rs = nft.pull()?;
    /// println!("{rs}");
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn pull(&mut self) -> Result<Ruleset> {
        Ok(self.pull_snapshot(None)?.0)
    }

    /// Pulls one table.
    ///
    /// # Errors
    /// `ENOENT` (operation `NFT_MSG_GETTABLE`, object `pull FAMILY/NAME`) when the table does not
    /// exist; kernel errors.
    pub fn pull_table(&mut self, family: Family, name: &str) -> Result<Table> {
        let (mut rs, _) = self.pull_snapshot(Some((family, name)))?;
        match rs.remove_table(family, name) {
            Some(t) => Ok(t),
            None => Err(crate::error::OsError::new(
                Subsystem::Netfilter,
                crate::error::Operation::netlink(
                    "NFT_MSG_GETTABLE",
                    codec::msg_type(codec::NFT_MSG_GETTABLE),
                ),
                Errno::NOENT,
            )
            .object(format!("pull {family}/{name}"))
            .into()),
        }
    }

    /// Pulls the namespace (or one table) together with the generation it reflects.
    ///
    /// # Errors
    /// As [`pull`](Nft::pull).
    pub fn pull_snapshot(
        &mut self,
        filter: Option<(Family, &str)>,
    ) -> Result<(Ruleset, Generation)> {
        let mut last = 0;
        for _ in 0..=PULL_RETRIES {
            let g0 = self.generation()?;
            let (rs, interrupted) = self.pull_once(filter)?;
            let g1 = self.generation()?;
            if !interrupted && g0.id == g1.id {
                return Ok((rs, g1));
            }
            last = g1.id;
        }
        let _ = last;
        Err(Error::DumpInterrupted {
            subsystem: Subsystem::Netfilter,
            operation: crate::error::Operation::netlink(
                "NFT_MSG_GETRULE",
                codec::msg_type(codec::NFT_MSG_GETRULE),
            ),
            attempts: PULL_RETRIES + 1,
        })
    }

    fn dump(
        &mut self,
        cmd: u8,
        family: u8,
        table: Option<&str>,
        set: Option<&str>,
        mut f: impl FnMut(Decoded) -> Result<()>,
    ) -> Result<bool> {
        let req = Request::new(
            codec::get_request(cmd, family, table, set),
            codec::msg_name(cmd),
        )?;
        self.socket_mut().dump_with(&req, |m| f(codec::decode(&m)?))
    }

    fn pull_once(&mut self, filter: Option<(Family, &str)>) -> Result<(Ruleset, bool)> {
        let fam = filter.map_or(0, |(f, _)| f.number());
        let tname = filter.map(|(_, n)| n);
        let want = |f: Family, t: &str| filter.is_none_or(|(ff, tt)| ff == f && tt == t);
        let mut rs = Ruleset::new();
        let mut intr = false;
        intr |= self.dump(codec::NFT_MSG_GETTABLE, fam, None, None, |d| {
            if let Decoded::Table(t) = d
                && want(t.family, &t.name)
            {
                rs.tables.push(t);
            }
            Ok(())
        })?;
        if rs.tables.is_empty() {
            return Ok((rs, intr));
        }
        intr |= self.dump(codec::NFT_MSG_GETCHAIN, fam, tname, None, |d| {
            if let Decoded::Chain {
                family,
                table,
                chain,
            } = d
                && let Some(t) = rs.table_mut(family, &table)
            {
                t.chains.push(chain);
            }
            Ok(())
        })?;
        intr |= self.dump(codec::NFT_MSG_GETRULE, fam, tname, None, |d| {
            if let Decoded::Rule {
                family,
                table,
                chain,
                rule,
            } = d
                && let Some(t) = rs.table_mut(family, &table)
                && let Some(c) = t.chain_mut(&chain)
            {
                c.rules.push(rule);
            }
            Ok(())
        })?;
        intr |= self.dump(codec::NFT_MSG_GETSET, fam, tname, None, |d| {
            if let Decoded::Set { family, table, set } = d
                && let Some(t) = rs.table_mut(family, &table)
            {
                t.sets.push(set);
            }
            Ok(())
        })?;
        intr |= self.dump(codec::NFT_MSG_GETOBJ, fam, tname, None, |d| {
            if let Decoded::Object {
                family,
                table,
                object,
            } = d
                && let Some(t) = rs.table_mut(family, &table)
            {
                t.objects.push(object);
            }
            Ok(())
        })?;
        intr |= self
            .dump(codec::NFT_MSG_GETFLOWTABLE, fam, tname, None, |d| {
                if let Decoded::Flowtable {
                    family,
                    table,
                    flowtable,
                } = d
                    && let Some(t) = rs.table_mut(family, &table)
                {
                    t.flowtables.push(flowtable);
                }
                Ok(())
            })
            .or_else(|e| match e.errno() {
                // Kernels without flowtable support refuse the dump.
                Some(Errno::OPNOTSUPP) | Some(Errno::NOENT) => Ok(false),
                _ => Err(e),
            })?;
        // Elements, per set.
        let sets: Vec<(usize, usize, Family, String, String)> = rs
            .tables
            .iter()
            .enumerate()
            .flat_map(|(ti, t)| {
                t.sets
                    .iter()
                    .enumerate()
                    .map(move |(si, s)| (ti, si, t.family, t.name.clone(), s.name.clone()))
            })
            .collect();
        for (ti, si, family, table, set) in sets {
            let mut raw = Vec::new();
            let r = self.dump(
                codec::NFT_MSG_GETSETELEM,
                family.number(),
                Some(&table),
                Some(&set),
                |d| {
                    if let Decoded::Elements { elements, .. } = d {
                        raw.extend(elements);
                    }
                    Ok(())
                },
            );
            match r {
                Ok(i) => intr |= i,
                // Deleted since the set dump: the generation check will retry.
                Err(e) if e.errno() == Some(Errno::NOENT) => {
                    intr = true;
                    continue;
                }
                Err(e) => return Err(e),
            }
            let s = &mut rs.tables[ti].sets[si];
            s.elements = s.decode_elements(&raw)?;
        }
        Ok((rs, intr))
    }
}
