//! Organizations, members and invitations in SQLite.

use super::{SqliteStore, secs};
use crate::store::rows::role;
use crate::store::{
    Change, Invite, Member, Membership, NewOrganization, OrgRole, OrgStore, StoreError,
};
use async_trait::async_trait;
use hafla_core::Bilingual;
use rusqlite::{OptionalExtension, Transaction, params};
use uuid::Uuid;

fn owner_of(tx: &Transaction<'_>, organization_id: Uuid) -> Result<Option<Uuid>, StoreError> {
    Ok(tx
        .query_row(
            "SELECT user_id FROM organization_members WHERE organization_id = ?1 AND role = 'owner'",
            [organization_id],
            |r| r.get(0),
        )
        .optional()?)
}

fn memberships_in(c: &rusqlite::Connection, user_id: Uuid) -> Result<Vec<Membership>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT o.id, o.name_ar, o.name_en, m.role FROM organization_members m
         JOIN organizations o ON o.id = m.organization_id
         WHERE m.user_id = ?1 ORDER BY o.name_en, o.id",
    )?;
    let rows = stmt.query_map([user_id], |r| {
        Ok((
            r.get::<_, Uuid>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    rows.map(|row| {
        let (organization_id, ar, en, key) = row?;
        Ok(Membership {
            organization_id,
            name: Bilingual { ar, en },
            role: role(key)?,
        })
    })
    .collect()
}

#[async_trait]
impl OrgStore for SqliteStore {
    async fn create_organization(
        &self,
        org: NewOrganization,
        owner: Uuid,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO organizations (id, name_ar, name_en, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![org.id, org.name.ar, org.name.en, secs(now)],
            )?;
            tx.execute(
                "INSERT INTO organization_members (organization_id, user_id, role, added_at) VALUES (?1, ?2, 'owner', ?3)",
                params![org.id, owner, secs(now)],
            )?;
            Ok(())
        })
        .await?;
        self.announce(Change::Organization(org.id));
        Ok(())
    }

    async fn organization_name(
        &self,
        organization_id: Uuid,
    ) -> Result<Option<Bilingual>, StoreError> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT name_ar, name_en FROM organizations WHERE id = ?1",
                [organization_id],
                |r| {
                    Ok(Bilingual {
                        ar: r.get(0)?,
                        en: r.get(1)?,
                    })
                },
            )
            .optional()?)
        })
        .await
    }

    async fn role_in(
        &self,
        organization_id: Uuid,
        user_id: Uuid,
    ) -> Result<Option<OrgRole>, StoreError> {
        self.read(move |c| {
            c.prepare_cached(
                "SELECT role FROM organization_members WHERE organization_id = ?1 AND user_id = ?2",
            )?
            .query_row(params![organization_id, user_id], |r| r.get::<_, String>(0))
            .optional()?
            .map(role)
            .transpose()
        })
        .await
    }

    async fn memberships(&self, user_id: Uuid) -> Result<Vec<Membership>, StoreError> {
        self.read(move |c| memberships_in(c, user_id)).await
    }

    async fn members(&self, organization_id: Uuid) -> Result<Vec<Member>, StoreError> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT u.id, m.role, u.display_name, u.email, u.phone FROM organization_members m
                 JOIN users u ON u.id = m.user_id WHERE m.organization_id = ?1 ORDER BY m.added_at, u.id",
            )?;
            let rows = stmt.query_map([organization_id], |r| {
                Ok((r.get(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?;
            rows.map(|row| {
                let (user_id, key, display_name, email, phone) = row?;
                Ok(Member {
                    user_id,
                    role: role(key)?,
                    display_name,
                    email,
                    phone,
                })
            })
            .collect()
        })
        .await
    }

    async fn set_role(
        &self,
        organization_id: Uuid,
        user_id: Uuid,
        new_role: OrgRole,
    ) -> Result<(), StoreError> {
        if new_role == OrgRole::Owner {
            return self.transfer_ownership(organization_id, user_id).await;
        }
        self.write(move |tx| {
            let changed = tx.execute(
                "UPDATE organization_members SET role = ?3
                 WHERE organization_id = ?1 AND user_id = ?2 AND role <> 'owner'",
                params![organization_id, user_id, new_role.key()],
            )?;
            match changed {
                0 if owner_of(tx, organization_id)? == Some(user_id) => {
                    Err(StoreError::Conflict("owner"))
                }
                0 => Err(StoreError::NotFound("member")),
                _ => Ok(()),
            }
        })
        .await?;
        self.announce(Change::Organization(organization_id));
        Ok(())
    }

    async fn remove_member(&self, organization_id: Uuid, user_id: Uuid) -> Result<(), StoreError> {
        self.write(move |tx| {
            if owner_of(tx, organization_id)? == Some(user_id) {
                return Err(StoreError::Conflict("owner"));
            }
            match tx.execute(
                "DELETE FROM organization_members WHERE organization_id = ?1 AND user_id = ?2",
                params![organization_id, user_id],
            )? {
                0 => Err(StoreError::NotFound("member")),
                _ => Ok(()),
            }
        })
        .await?;
        self.announce(Change::Organization(organization_id));
        Ok(())
    }

    async fn transfer_ownership(&self, organization_id: Uuid, to: Uuid) -> Result<(), StoreError> {
        self.write(move |tx| {
            let owner = owner_of(tx, organization_id)?.ok_or(StoreError::NotFound("organization"))?;
            if owner == to {
                return Ok(());
            }
            let promoted = tx.execute(
                "UPDATE organization_members SET role = 'owner' WHERE organization_id = ?1 AND user_id = ?2",
                params![organization_id, to],
            )?;
            if promoted == 0 {
                return Err(StoreError::NotFound("member"));
            }
            tx.execute(
                "UPDATE organization_members SET role = 'manager' WHERE organization_id = ?1 AND user_id = ?2",
                params![organization_id, owner],
            )?;
            Ok(())
        })
        .await?;
        self.announce(Change::Organization(organization_id));
        Ok(())
    }

    async fn create_invite(&self, i: Invite) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO organization_invites (id, organization_id, email, phone, role, invited_by, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    i.id,
                    i.organization_id,
                    i.email.map(|e| e.to_lowercase()),
                    i.phone,
                    i.role.key(),
                    i.invited_by,
                    secs(i.created_at)
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn accept_invites(
        &self,
        user_id: Uuid,
        email: Option<&str>,
        phone: Option<&str>,
        now: jiff::Timestamp,
    ) -> Result<Vec<Membership>, StoreError> {
        let email = email.map(str::to_lowercase);
        let phone = phone.map(str::to_owned);
        let (memberships, joined) = self.write(move |tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT id, organization_id, role FROM organization_invites
                 WHERE accepted_at IS NULL AND ((?1 IS NOT NULL AND email = ?1) OR (?2 IS NOT NULL AND phone = ?2))
                 ORDER BY created_at",
            )?;
            let invites: Vec<(Uuid, Uuid, String)> = stmt
                .query_map(params![email, phone], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?;
            drop(stmt);
            let mut joined = Vec::with_capacity(invites.len());
            for (id, organization_id, key) in invites {
                joined.push(organization_id);
                tx.execute(
                    "INSERT INTO organization_members (organization_id, user_id, role, added_at)
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                    params![organization_id, user_id, key, secs(now)],
                )?;
                tx.execute("UPDATE organization_invites SET accepted_at = ?2 WHERE id = ?1", params![id, secs(now)])?;
            }
            Ok((memberships_in(tx, user_id)?, joined))
        })
        .await?;
        for organization_id in joined {
            self.announce(Change::Organization(organization_id));
        }
        Ok(memberships)
    }
}
