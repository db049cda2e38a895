// Settings: the organization's members (Helicone's organization API): each one's role, and
// for admins and the owner adding by e-mail, changing roles and removing; the owner alone
// hands ownership to another member. What a role may not do is not shown at all.
import { api } from "../api.js";
import { copyText, h, mount, toast } from "../dom.js";
import { icon } from "../icons.js";
import { session } from "../session.js";
import { errorState, loading } from "../components/states.js";
import { dataTable } from "../components/table.js";

const ROLES = ["viewer", "member", "admin"];
const RANK = { viewer: 0, member: 1, admin: 2, owner: 3 };

// A session signed in with an API key has no role: the key's permissions decide instead.
function myRole() {
  const role = session() && session().role;
  return role || "owner";
}

export async function members(root, ctx) {
  const orgId = session().organizationId;
  const base = `/v1/organization/${orgId}`;
  const manages = RANK[myRole()] >= RANK.admin;
  const owns = myRole() === "owner";
  const list = h("div");
  const reveal = h("div");

  const act = async (work, done) => {
    try { await work(); toast(done); load(); } catch (error) { toast(error.message, "err"); }
  };
  const roleCell = (m) => {
    if (!manages || m.org_role === "owner") return h("span", { class: "badge" }, m.org_role);
    const select = h("select", { "aria-label": `Role of ${m.email}`, "data-testid": "member-role" },
      ROLES.map((role) => h("option", { value: role, selected: role === m.org_role }, role)));
    select.addEventListener("change", () => act(
      () => api.post(`${base}/update_member`, { role: select.value, memberId: m.member }),
      `${m.email} is now ${select.value}`));
    return select;
  };
  const actions = (m) => {
    if (m.org_role === "owner") return "";
    const buttons = [];
    if (owns) buttons.push(h("button", { type: "button", "data-testid": "member-make-owner", onclick: () => {
      if (!window.confirm(`Make ${m.email} the owner? You become an admin.`)) return;
      act(() => api.post(`${base}/update_owner`, { memberId: m.member }), `${m.email} owns the organization`);
    } }, "Make owner"));
    if (manages) buttons.push(h("button", { type: "button", class: "danger", "aria-label": `Remove ${m.email}`, onclick: () => {
      if (!window.confirm(`Remove ${m.email} from the organization?`)) return;
      act(() => api.del(`${base}/remove_member?memberId=${encodeURIComponent(m.member)}`), `${m.email} removed`);
    } }, icon("trash", 15), "Remove"));
    return h("div", { class: "row" }, buttons);
  };

  const load = async () => {
    mount(list, loading("Loading members"));
    try {
      const rows = await api.get(`${base}/members`, { signal: ctx.signal });
      mount(list, dataTable({
        label: "Members", testid: "members", rows,
        columns: [
          { key: "email", label: "E-mail" },
          { key: "org_role", label: "Role", render: roleCell },
          { key: "actions", label: "", render: actions },
        ],
      }));
    } catch (error) {
      if (error.name !== "AbortError") mount(list, errorState(error, load));
    }
  };

  const email = h("input", { type: "email", required: true, placeholder: "colleague@example.com", "aria-label": "E-mail", "data-testid": "member-email" });
  const form = h("form", { class: "row wrap" }, email,
    h("button", { type: "submit", class: "primary", "data-testid": "member-add" }, icon("plus", 15), "Add member"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const added = await api.post(`${base}/add_member`, { email: email.value.trim() });
      const who = email.value.trim();
      email.value = "";
      mount(reveal, added && added.temporaryPassword
        ? h("div", { class: "secret", role: "status", "data-testid": "member-temporary-password" },
            h("span", { class: "grow" }, `${who}'s temporary password (shown once): `, h("code", {}, added.temporaryPassword)),
            h("button", { type: "button", onclick: () => copyText(added.temporaryPassword) }, icon("copy", 15), "Copy"))
        : h("p", { class: "muted", role: "status" }, `${who} is a member.`));
      load();
    } catch (error) { toast(error.message, "err"); }
  });

  mount(root, h("section", { class: "card", "aria-label": "Members" }, h("h2", {}, "Members"),
    h("p", { class: "muted" }, `Your role: ${myRole()}. Viewers read; members also write; admins also manage keys, webhooks and members; the owner also transfers ownership.`),
    manages ? form : "", reveal), list);
  await load();
}
