//! Organizations, members and invitations in PostgreSQL.
//!
//! Every change that depends on who the owner is first locks the organization's row, so
//! such changes to one organization run one after another (as all writes do in SQLite) and
//! each sees the ownership the previous one left: an organization never ends up with no
//! owner or two.

use super::{PgStore, secs};
use crate::store::rows::role;
use crate::store::{
    Change, Invite, Member, Membership, NewOrganization, OrgRole, OrgStore, StoreError,
};
use async_trait::async_trait;
use hafla_core::Bilingual;
use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

/// Opens a transaction holding the organization's row lock (a missing organization locks
/// nothing; the statements that follow then find no members).
async fn lock_organization(
    store: &PgStore,
    organization_id: Uuid,
) -> Result<Transaction<'static, Postgres>, StoreError> {
    let mut tx = store.pool().begin().await?;
    // NO KEY UPDATE: queues ownership changes without blocking foreign-key checks.
    sqlx::query("SELECT 1 FROM organizations WHERE id = $1 FOR NO KEY UPDATE")
        .bind(organization_id)
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

async fn owner_of(
    conn: &mut PgConnection,
    organization_id: Uuid,
) -> Result<Option<Uuid>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT user_id FROM organization_members WHERE organization_id = $1 AND role = 'owner'",
    )
    .bind(organization_id)
    .fetch_optional(conn)
    .await?)
}

async fn memberships_in<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    user_id: Uuid,
) -> Result<Vec<Membership>, StoreError> {
    // COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
    let rows: Vec<(Uuid, String, String, String)> = sqlx::query_as(
        "SELECT o.id, o.name_ar, o.name_en, m.role FROM organization_members m
         JOIN organizations o ON o.id = m.organization_id
         WHERE m.user_id = $1 ORDER BY o.name_en COLLATE \"C\", o.id",
    )
    .bind(user_id)
    .fetch_all(executor)
    .await?;
    rows.into_iter()
        .map(|(organization_id, ar, en, key)| {
            Ok(Membership {
                organization_id,
                name: Bilingual { ar, en },
                role: role(key)?,
            })
        })
        .collect()
}

#[async_trait]
impl OrgStore for PgStore {
    async fn create_organization(
        &self,
        org: NewOrganization,
        owner: Uuid,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await?;
            sqlx::query(
                "INSERT INTO organizations (id, name_ar, name_en, created_at)
                 VALUES ($1, $2, $3, to_timestamp($4))",
            )
            .bind(org.id)
            .bind(&org.name.ar)
            .bind(&org.name.en)
            .bind(secs(now))
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO organization_members (organization_id, user_id, role, added_at)
                 VALUES ($1, $2, 'owner', to_timestamp($3))",
            )
            .bind(org.id)
            .bind(owner)
            .bind(secs(now))
            .execute(&mut *tx)
            .await?;
            self.commit_announcing(tx, &[Change::Organization(org.id)])
                .await?;
            Ok(())
        })
        .await
    }

    async fn organization_name(
        &self,
        organization_id: Uuid,
    ) -> Result<Option<Bilingual>, StoreError> {
        self.read(async {
            let row: Option<(String, String)> =
                sqlx::query_as("SELECT name_ar, name_en FROM organizations WHERE id = $1")
                    .bind(organization_id)
                    .fetch_optional(self.pool())
                    .await?;
            Ok(row.map(|(ar, en)| Bilingual { ar, en }))
        })
        .await
    }

    async fn role_in(
        &self,
        organization_id: Uuid,
        user_id: Uuid,
    ) -> Result<Option<OrgRole>, StoreError> {
        self.read(async {
            sqlx::query_scalar::<_, String>(
                "SELECT role FROM organization_members WHERE organization_id = $1 AND user_id = $2",
            )
            .bind(organization_id)
            .bind(user_id)
            .fetch_optional(self.pool())
            .await?
            .map(role)
            .transpose()
        })
        .await
    }

    async fn memberships(&self, user_id: Uuid) -> Result<Vec<Membership>, StoreError> {
        self.read(async { memberships_in(self.pool(), user_id).await })
            .await
    }

    async fn members(&self, organization_id: Uuid) -> Result<Vec<Member>, StoreError> {
        self.read(async {
            let rows: Vec<(Uuid, String, String, Option<String>, Option<String>)> = sqlx::query_as(
                "SELECT u.id, m.role, u.display_name, u.email, u.phone FROM organization_members m
                 JOIN users u ON u.id = m.user_id WHERE m.organization_id = $1
                 ORDER BY m.added_at, u.id",
            )
            .bind(organization_id)
            .fetch_all(self.pool())
            .await?;
            rows.into_iter()
                .map(|(user_id, key, display_name, email, phone)| {
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
        self.write(async {
            let mut tx = lock_organization(self, organization_id).await?;
            let changed = sqlx::query(
                "UPDATE organization_members SET role = $3
                 WHERE organization_id = $1 AND user_id = $2 AND role <> 'owner'",
            )
            .bind(organization_id)
            .bind(user_id)
            .bind(new_role.key())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            match changed {
                0 if owner_of(&mut tx, organization_id).await? == Some(user_id) => {
                    Err(StoreError::Conflict("owner"))
                }
                0 => Err(StoreError::NotFound("member")),
                _ => {
                    self.commit_announcing(tx, &[Change::Organization(organization_id)])
                        .await?;
                    Ok(())
                }
            }
        })
        .await
    }

    async fn remove_member(&self, organization_id: Uuid, user_id: Uuid) -> Result<(), StoreError> {
        self.write(async {
            let mut tx = lock_organization(self, organization_id).await?;
            if owner_of(&mut tx, organization_id).await? == Some(user_id) {
                return Err(StoreError::Conflict("owner"));
            }
            let removed = sqlx::query(
                "DELETE FROM organization_members WHERE organization_id = $1 AND user_id = $2",
            )
            .bind(organization_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if removed == 0 {
                return Err(StoreError::NotFound("member"));
            }
            self.commit_announcing(tx, &[Change::Organization(organization_id)])
                .await?;
            Ok(())
        })
        .await
    }

    async fn transfer_ownership(&self, organization_id: Uuid, to: Uuid) -> Result<(), StoreError> {
        self.write(async {
            let mut tx = lock_organization(self, organization_id).await?;
            let owner = owner_of(&mut tx, organization_id)
                .await?
                .ok_or(StoreError::NotFound("organization"))?;
            if owner == to {
                return Ok(());
            }
            let promoted = sqlx::query(
                "UPDATE organization_members SET role = 'owner'
                 WHERE organization_id = $1 AND user_id = $2",
            )
            .bind(organization_id)
            .bind(to)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if promoted == 0 {
                return Err(StoreError::NotFound("member"));
            }
            sqlx::query(
                "UPDATE organization_members SET role = 'manager'
                 WHERE organization_id = $1 AND user_id = $2",
            )
            .bind(organization_id)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
            self.commit_announcing(tx, &[Change::Organization(organization_id)])
                .await?;
            Ok(())
        })
        .await
    }

    async fn create_invite(&self, i: Invite) -> Result<(), StoreError> {
        self.write(async {
            sqlx::query(
                "INSERT INTO organization_invites
                    (id, organization_id, email, phone, role, invited_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7))",
            )
            .bind(i.id)
            .bind(i.organization_id)
            .bind(i.email.map(|e| e.to_lowercase()))
            .bind(i.phone)
            .bind(i.role.key())
            .bind(i.invited_by)
            .bind(secs(i.created_at))
            .execute(self.pool())
            .await?;
            Ok(())
        })
        .await
    }

    /// Locks the open invitations it accepts, so two sign-ins of the same person accept
    /// each invitation once.
    async fn accept_invites(
        &self,
        user_id: Uuid,
        email: Option<&str>,
        phone: Option<&str>,
        now: jiff::Timestamp,
    ) -> Result<Vec<Membership>, StoreError> {
        self.write(async {
            let email = email.map(str::to_lowercase);
            let mut tx = self.pool().begin().await?;
            let invites: Vec<(Uuid, Uuid, String)> = sqlx::query_as(
                "SELECT id, organization_id, role FROM organization_invites
                 WHERE accepted_at IS NULL
                   AND (($1::text IS NOT NULL AND email = $1) OR ($2::text IS NOT NULL AND phone = $2))
                 ORDER BY created_at, id
                 FOR UPDATE",
            )
            .bind(email)
            .bind(phone)
            .fetch_all(&mut *tx)
            .await?;
            let mut changes = Vec::with_capacity(invites.len());
            for (id, organization_id, key) in invites {
                changes.push(Change::Organization(organization_id));
                sqlx::query(
                    "INSERT INTO organization_members (organization_id, user_id, role, added_at)
                     VALUES ($1, $2, $3, to_timestamp($4)) ON CONFLICT DO NOTHING",
                )
                .bind(organization_id)
                .bind(user_id)
                .bind(key)
                .bind(secs(now))
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE organization_invites SET accepted_at = to_timestamp($2) WHERE id = $1",
                )
                .bind(id)
                .bind(secs(now))
                .execute(&mut *tx)
                .await?;
            }
            let memberships = memberships_in(&mut *tx, user_id).await?;
            self.commit_announcing(tx, &changes).await?;
            Ok(memberships)
        })
        .await
    }
}
