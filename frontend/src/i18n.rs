//! English and Bulgarian. Every string the UI shows is a key in [`TEXTS`]; the chosen
//! language is a context signal remembered in localStorage. Numbers are grouped the way
//! each language writes them.

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Bg,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Bg => "bg",
        }
    }
    pub fn from_code(code: &str) -> Lang {
        if code == "bg" { Lang::Bg } else { Lang::En }
    }
}

/// (key, English, Bulgarian).
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("app.name", "Intake", "Intake"),
    ("nav.customers", "Customers", "Клиенти"),
    ("nav.groups", "Customer groups", "Клиентски групи"),
    ("nav.jobs", "Queue jobs", "Задачи в опашката"),
    ("nav.language", "Language", "Език"),
    ("nav.sign_out", "Sign out", "Изход"),
    ("login.title", "Sign in", "Вход"),
    ("login.username", "User name", "Потребителско име"),
    ("login.password", "Password", "Парола"),
    ("login.submit", "Sign in", "Вход"),
    ("common.loading", "Loading…", "Зареждане…"),
    ("common.retry", "Try again", "Опитай отново"),
    ("common.previous", "Previous", "Предишна"),
    ("common.next", "Next", "Следваща"),
    ("common.page", "Page", "Страница"),
    ("common.of", "of", "от"),
    ("common.yes", "Yes", "Да"),
    ("common.no", "No", "Не"),
    ("common.cancel", "Cancel", "Отказ"),
    ("customers.title", "Customers", "Клиенти"),
    ("customers.import", "Import", "Импортирай"),
    (
        "customers.export",
        "Export customers",
        "Експортирай клиенти",
    ),
    (
        "customers.search",
        "Search name or email",
        "Търсене по име или имейл",
    ),
    ("customers.group", "Customer group", "Клиентска група"),
    ("customers.all_groups", "All groups", "Всички групи"),
    ("customers.name", "Name", "Име"),
    ("customers.email", "Email", "Имейл"),
    (
        "customers.marketing",
        "Accepts marketing",
        "Приема маркетинг",
    ),
    ("customers.created", "Created", "Създаден"),
    (
        "customers.empty",
        "No customers yet. Import a CSV file to add them.",
        "Все още няма клиенти. Импортирайте CSV файл, за да ги добавите.",
    ),
    ("customers.total", "customers", "клиента"),
    (
        "import.title",
        "Import customers via CSV",
        "Импортиране на клиенти чрез CSV",
    ),
    ("import.file", "CSV file", "CSV файл"),
    (
        "import.drop",
        "Drop a CSV file here or choose one.",
        "Пуснете CSV файл тук или изберете такъв.",
    ),
    (
        "import.has_header",
        "The file has a header line explaining the columns",
        "Файлът има описателен ред на колоните",
    ),
    (
        "import.settings",
        "Additional settings",
        "Допълнителни настройки",
    ),
    (
        "import.group",
        "Customer group the customers join",
        "Клиентска група, към която да бъдат причислени клиентите",
    ),
    (
        "import.on_duplicate",
        "When an email already exists",
        "Когато имейлът вече съществува",
    ),
    ("import.dup_skip", "Skip the row", "Пропусни реда"),
    ("import.dup_update", "Update the customer", "Обнови клиента"),
    (
        "import.dup_update_non_blank",
        "Update only non-empty fields",
        "Обнови само непразните полета",
    ),
    ("import.detected", "Detected", "Разпознато"),
    ("import.encoding", "Encoding", "Кодиране"),
    ("import.delimiter", "Delimiter", "Разделител"),
    (
        "import.mapping",
        "Match the columns to customer fields",
        "Съпоставете колоните с полетата на клиента",
    ),
    ("import.column", "Column", "Колона"),
    ("import.samples", "Sample values", "Примерни стойности"),
    ("import.field", "Customer field", "Поле на клиента"),
    ("import.not_imported", "Do not import", "Не импортирай"),
    (
        "import.reason.not_importable",
        "Cannot be imported (phones, addresses and orders are not importable)",
        "Не може да се импортира (телефони, адреси и поръчки не се импортират)",
    ),
    (
        "import.reason.duplicate_target",
        "Another column already fills this field",
        "Друга колона вече попълва това поле",
    ),
    ("import.reason.unknown", "Not recognised", "Неразпозната"),
    (
        "import.preview",
        "Preview: the first rows as they will be imported",
        "Преглед: първите редове, както ще бъдат импортирани",
    ),
    ("import.line", "Line", "Ред"),
    ("import.problems", "Problems", "Проблеми"),
    ("import.check", "Check the whole file", "Провери целия файл"),
    (
        "import.checking",
        "Checking the file…",
        "Проверка на файла…",
    ),
    ("import.valid", "Valid", "Валидни"),
    ("import.invalid", "Invalid", "Невалидни"),
    ("import.duplicates", "Duplicates", "Дублирани"),
    ("import.rows", "Rows", "Редове"),
    ("import.start", "Import", "Импортирай"),
    (
        "import.uploading",
        "Sending rows…",
        "Изпращане на редовете…",
    ),
    (
        "import.queued",
        "The import is queued and will start soon.",
        "Импортирането е в опашката и ще започне скоро.",
    ),
    ("import.running", "Importing…", "Импортиране…"),
    ("import.done", "Import finished", "Импортирането завърши"),
    ("import.created", "Created", "Създадени"),
    ("import.updated", "Updated", "Обновени"),
    ("import.skipped", "Skipped", "Пропуснати"),
    ("import.failed", "Failed", "Неуспешни"),
    (
        "import.see_customers",
        "See the imported customers",
        "Вижте импортираните клиенти",
    ),
    (
        "import.error_report",
        "Download the error report",
        "Изтеглете отчета за грешки",
    ),
    (
        "import.another",
        "Import another file",
        "Импортирай друг файл",
    ),
    (
        "import.not_importable_note",
        "Phones, addresses and orders cannot be imported.",
        "Телефони, адреси и поръчки не могат да бъдат импортирани.",
    ),
    ("target.first_name", "First name", "Име"),
    ("target.last_name", "Last name", "Фамилия"),
    ("target.full_name", "Full name", "Цяло име"),
    ("target.email", "Email address", "Имейл адрес"),
    ("target.note", "Note", "Забележка"),
    (
        "target.accepts_marketing",
        "Accepts marketing",
        "Приема маркетинг",
    ),
    ("target.customer_group", "Customer group", "Клиентска група"),
    ("jobs.title", "Queue jobs", "Задачи в опашката"),
    ("jobs.kind", "Job", "Задача"),
    ("jobs.status", "Status", "Състояние"),
    ("jobs.progress", "Progress", "Напредък"),
    ("jobs.attempts", "Attempts", "Опити"),
    ("jobs.empty", "No jobs yet.", "Все още няма задачи."),
    (
        "jobs.kind.import",
        "Customer import",
        "Импортиране на клиенти",
    ),
    (
        "jobs.kind.undo",
        "Undo of an import",
        "Отмяна на импортиране",
    ),
    ("status.receiving", "Receiving", "Получаване"),
    ("status.queued", "Queued", "В опашката"),
    ("status.running", "Running", "Изпълнява се"),
    ("status.completed", "Completed", "Завършена"),
    ("status.failed", "Failed", "Неуспешна"),
    ("status.cancelled", "Cancelled", "Отменена"),
    ("status.undone", "Undone", "Отменено"),
    ("customers.add", "Add customer", "Добави клиент"),
    ("customers.any", "Any", "Всички"),
    (
        "customers.confirm_delete",
        "Delete this customer?",
        "Да бъде ли изтрит този клиент?",
    ),
    ("customers.created_from", "Created from", "Създаден от"),
    ("customers.created_to", "Created until", "Създаден до"),
    ("customers.edit", "Edit", "Редактирай"),
    (
        "customers.from_import",
        "Customers from import",
        "Клиенти от импортиране",
    ),
    (
        "customers.show_all",
        "Show all customers",
        "Покажи всички клиенти",
    ),
    ("customers.sort", "Sort by", "Подреди по"),
    ("customers.sort.newest", "Newest first", "Най-новите първо"),
    ("customers.sort.oldest", "Oldest first", "Най-старите първо"),
    (
        "export.bom",
        "For Excel (byte-order mark)",
        "За Excel (маркер за подредба на байтовете)",
    ),
    ("export.comma", "Comma", "Запетая"),
    (
        "export.delimiter",
        "Export delimiter",
        "Разделител при експорт",
    ),
    ("export.semicolon", "Semicolon", "Точка и запетая"),
    ("export.tab", "Tab", "Табулация"),
    ("groups.title", "Customer groups", "Клиентски групи"),
    ("groups.actions", "Actions", "Действия"),
    ("groups.create", "Create group", "Създай група"),
    ("groups.customers", "Customers", "Клиенти"),
    ("groups.delete", "Delete", "Изтрий"),
    (
        "groups.move_and_delete",
        "Move customers and delete",
        "Премести клиентите и изтрий",
    ),
    (
        "groups.move_to",
        "Move customers of",
        "Премести клиентите на",
    ),
    ("groups.name", "Group name", "Име на групата"),
    ("groups.new_name", "New group name", "Име на новата група"),
    ("groups.rename", "Rename", "Преименувай"),
    ("groups.save", "Save", "Запази"),
    ("import.auto", "Detect", "Разпознай"),
    (
        "import.confidence",
        "How sure the match is",
        "Колко сигурно е съответствието",
    ),
    ("import.continue", "Continue", "Продължи"),
    (
        "import.download_problems",
        "Download the list of problems",
        "Изтеглете списъка с проблеми",
    ),
    (
        "import.fix_note",
        "Invalid cells are marked; correct them here before importing.",
        "Невалидните клетки са отбелязани; поправете ги тук преди импортиране.",
    ),
    ("import.new_group", "New group…", "Нова група…"),
    (
        "import.new_group_name",
        "Name of the new group",
        "Име на новата група",
    ),
    ("import.pause", "Pause", "Пауза"),
    (
        "import.resume",
        "Resume the import",
        "Продължи импортирането",
    ),
    (
        "import.resume_note",
        "This file was being imported when the page closed: import",
        "Този файл се импортираше, когато страницата беше затворена: импортиране",
    ),
    ("import.rows_per_s", "rows/s", "реда/с"),
    ("import.rows_sent", "rows sent", "изпратени реда"),
    ("import.seconds_left", "s left", "с остават"),
    ("jobs.cancel", "Cancel", "Отмени"),
    ("jobs.errors", "Errors", "Грешки"),
    ("jobs.queued_at", "Queued at", "Поставена в опашката"),
    ("jobs.undo", "Undo", "Отмени импортирането"),
];

/// The text for `key` in `lang`; the key itself if it is missing (a test guards that).
pub fn text(lang: Lang, key: &str) -> &'static str {
    TEXTS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, bg)| if lang == Lang::Bg { *bg } else { *en })
        .unwrap_or("??")
}

/// The language signal, provided at the root.
#[derive(Clone, Copy)]
pub struct Locale(pub RwSignal<Lang>);

const STORAGE_KEY: &str = "intake.lang";

pub fn provide_locale() -> Locale {
    let saved = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
    let lang = saved.map(|c| Lang::from_code(&c)).unwrap_or(Lang::En);
    let locale = Locale(RwSignal::new(lang));
    provide_context(locale);
    locale
}

impl Locale {
    pub fn set(&self, lang: Lang) {
        self.0.set(lang);
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(STORAGE_KEY, lang.code());
        }
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("lang", lang.code());
        }
    }
}

/// A reactive translator for components: `let t = use_t(); view! { {move || t("key")} }`.
pub fn use_t() -> impl Fn(&'static str) -> &'static str + Copy + 'static {
    let locale = expect_context::<Locale>();
    move |key| text(locale.0.get(), key)
}

/// Group digits: "1,234,567" in English, "1 234 567" in Bulgarian.
pub fn format_count(lang: Lang, n: u64) -> String {
    let digits = n.to_string();
    let sep = if lang == Lang::Bg { '\u{a0}' } else { ',' };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(ch);
    }
    out
}

/// A date and time for the language: "2026-11-22 14:05" / "22.11.2026 14:05".
pub fn format_time(lang: Lang, t: &chrono::DateTime<chrono::Utc>) -> String {
    match lang {
        Lang::En => t.format("%Y-%m-%d %H:%M").to_string(),
        Lang::Bg => t.format("%d.%m.%Y %H:%M").to_string(),
    }
}
