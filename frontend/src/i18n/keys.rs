//! Every text the UI shows, as a [`Key`] with its English and Bulgarian version side by side.
//! A missing translation or an unknown key is a compile error (a `match` without that arm,
//! an unknown variant), not a placeholder at run time.

/// A text the UI shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    /// `app.name`
    AppName,
    /// `nav.customers`
    NavCustomers,
    /// `nav.groups`
    NavGroups,
    /// `nav.jobs`
    NavJobs,
    /// `nav.language`
    NavLanguage,
    /// `nav.sign_out`
    NavSignOut,
    /// `login.title`
    LoginTitle,
    /// `login.username`
    LoginUsername,
    /// `login.password`
    LoginPassword,
    /// `login.submit`
    LoginSubmit,
    /// `common.loading`
    CommonLoading,
    /// `common.retry`
    CommonRetry,
    /// `common.previous`
    CommonPrevious,
    /// `common.next`
    CommonNext,
    /// `common.page`
    CommonPage,
    /// `common.of`
    CommonOf,
    /// `common.yes`
    CommonYes,
    /// `common.no`
    CommonNo,
    /// `common.cancel`
    CommonCancel,
    /// `customers.title`
    CustomersTitle,
    /// `customers.import`
    CustomersImport,
    /// `customers.export`
    CustomersExport,
    /// `customers.search`
    CustomersSearch,
    /// `customers.group`
    CustomersGroup,
    /// `customers.all_groups`
    CustomersAllGroups,
    /// `customers.name`
    CustomersName,
    /// `customers.email`
    CustomersEmail,
    /// `customers.marketing`
    CustomersMarketing,
    /// `customers.created`
    CustomersCreated,
    /// `customers.empty`
    CustomersEmpty,
    /// `customers.total`
    CustomersTotal,
    /// `import.title`
    ImportTitle,
    /// `import.file`
    ImportFile,
    /// `import.drop`
    ImportDrop,
    /// `import.has_header`
    ImportHasHeader,
    /// `import.settings`
    ImportSettings,
    /// `import.group`
    ImportGroup,
    /// `import.on_duplicate`
    ImportOnDuplicate,
    /// `import.dup_skip`
    ImportDupSkip,
    /// `import.dup_update`
    ImportDupUpdate,
    /// `import.dup_update_non_blank`
    ImportDupUpdateNonBlank,
    /// `import.detected`
    ImportDetected,
    /// `import.encoding`
    ImportEncoding,
    /// `import.delimiter`
    ImportDelimiter,
    /// `import.mapping`
    ImportMapping,
    /// `import.column`
    ImportColumn,
    /// `import.samples`
    ImportSamples,
    /// `import.field`
    ImportField,
    /// `import.not_imported`
    ImportNotImported,
    /// `import.reason.not_importable`
    ImportReasonNotImportable,
    /// `import.reason.duplicate_target`
    ImportReasonDuplicateTarget,
    /// `import.reason.unknown`
    ImportReasonUnknown,
    /// `import.preview`
    ImportPreview,
    /// `import.line`
    ImportLine,
    /// `import.problems`
    ImportProblems,
    /// `import.check`
    ImportCheck,
    /// `import.checking`
    ImportChecking,
    /// `import.valid`
    ImportValid,
    /// `import.invalid`
    ImportInvalid,
    /// `import.duplicates`
    ImportDuplicates,
    /// `import.rows`
    ImportRows,
    /// `import.start`
    ImportStart,
    /// `import.uploading`
    ImportUploading,
    /// `import.queued`
    ImportQueued,
    /// `import.running`
    ImportRunning,
    /// `import.done`
    ImportDone,
    /// `import.created`
    ImportCreated,
    /// `import.updated`
    ImportUpdated,
    /// `import.skipped`
    ImportSkipped,
    /// `import.failed`
    ImportFailed,
    /// `import.see_customers`
    ImportSeeCustomers,
    /// `import.error_report`
    ImportErrorReport,
    /// `import.another`
    ImportAnother,
    /// `import.not_importable_note`
    ImportNotImportableNote,
    /// `target.first_name`
    TargetFirstName,
    /// `target.last_name`
    TargetLastName,
    /// `target.full_name`
    TargetFullName,
    /// `target.email`
    TargetEmail,
    /// `target.note`
    TargetNote,
    /// `target.accepts_marketing`
    TargetAcceptsMarketing,
    /// `target.customer_group`
    TargetCustomerGroup,
    /// `jobs.title`
    JobsTitle,
    /// `jobs.kind`
    JobsKind,
    /// `jobs.status`
    JobsStatus,
    /// `jobs.progress`
    JobsProgress,
    /// `jobs.attempts`
    JobsAttempts,
    /// `jobs.empty`
    JobsEmpty,
    /// `jobs.kind.import`
    JobsKindImport,
    /// `jobs.kind.undo`
    JobsKindUndo,
    /// `status.receiving`
    StatusReceiving,
    /// `status.queued`
    StatusQueued,
    /// `status.running`
    StatusRunning,
    /// `status.completed`
    StatusCompleted,
    /// `status.failed`
    StatusFailed,
    /// `status.cancelled`
    StatusCancelled,
    /// `status.undone`
    StatusUndone,
    /// `customers.add`
    CustomersAdd,
    /// `customers.any`
    CustomersAny,
    /// `customers.confirm_delete`
    CustomersConfirmDelete,
    /// `customers.created_from`
    CustomersCreatedFrom,
    /// `customers.created_to`
    CustomersCreatedTo,
    /// `customers.edit`
    CustomersEdit,
    /// `customers.from_import`
    CustomersFromImport,
    /// `customers.show_all`
    CustomersShowAll,
    /// `customers.sort`
    CustomersSort,
    /// `customers.sort.newest`
    CustomersSortNewest,
    /// `customers.sort.oldest`
    CustomersSortOldest,
    /// `export.bom`
    ExportBom,
    /// `export.comma`
    ExportComma,
    /// `export.delimiter`
    ExportDelimiter,
    /// `export.semicolon`
    ExportSemicolon,
    /// `export.tab`
    ExportTab,
    /// `groups.title`
    GroupsTitle,
    /// `groups.actions`
    GroupsActions,
    /// `groups.create`
    GroupsCreate,
    /// `groups.customers`
    GroupsCustomers,
    /// `groups.delete`
    GroupsDelete,
    /// `groups.move_and_delete`
    GroupsMoveAndDelete,
    /// `groups.move_to`
    GroupsMoveTo,
    /// `groups.name`
    GroupsName,
    /// `groups.new_name`
    GroupsNewName,
    /// `groups.rename`
    GroupsRename,
    /// `groups.save`
    GroupsSave,
    /// `import.auto`
    ImportAuto,
    /// `import.confidence`
    ImportConfidence,
    /// `import.continue`
    ImportContinue,
    /// `import.download_problems`
    ImportDownloadProblems,
    /// `import.fix_note`
    ImportFixNote,
    /// `import.new_group`
    ImportNewGroup,
    /// `import.new_group_name`
    ImportNewGroupName,
    /// `import.pause`
    ImportPause,
    /// `import.resume`
    ImportResume,
    /// `import.resume_note`
    ImportResumeNote,
    /// `import.rows_per_s`
    ImportRowsPerS,
    /// `import.rows_sent`
    ImportRowsSent,
    /// `import.seconds_left`
    ImportSecondsLeft,
    /// `jobs.cancel`
    JobsCancel,
    /// `jobs.errors`
    JobsErrors,
    /// `jobs.queued_at`
    JobsQueuedAt,
    /// `jobs.undo`
    JobsUndo,
}

impl Key {
    /// Every key, for tests that look at all of them.
    pub const ALL: [Key; 140] = [
        Key::AppName,
        Key::NavCustomers,
        Key::NavGroups,
        Key::NavJobs,
        Key::NavLanguage,
        Key::NavSignOut,
        Key::LoginTitle,
        Key::LoginUsername,
        Key::LoginPassword,
        Key::LoginSubmit,
        Key::CommonLoading,
        Key::CommonRetry,
        Key::CommonPrevious,
        Key::CommonNext,
        Key::CommonPage,
        Key::CommonOf,
        Key::CommonYes,
        Key::CommonNo,
        Key::CommonCancel,
        Key::CustomersTitle,
        Key::CustomersImport,
        Key::CustomersExport,
        Key::CustomersSearch,
        Key::CustomersGroup,
        Key::CustomersAllGroups,
        Key::CustomersName,
        Key::CustomersEmail,
        Key::CustomersMarketing,
        Key::CustomersCreated,
        Key::CustomersEmpty,
        Key::CustomersTotal,
        Key::ImportTitle,
        Key::ImportFile,
        Key::ImportDrop,
        Key::ImportHasHeader,
        Key::ImportSettings,
        Key::ImportGroup,
        Key::ImportOnDuplicate,
        Key::ImportDupSkip,
        Key::ImportDupUpdate,
        Key::ImportDupUpdateNonBlank,
        Key::ImportDetected,
        Key::ImportEncoding,
        Key::ImportDelimiter,
        Key::ImportMapping,
        Key::ImportColumn,
        Key::ImportSamples,
        Key::ImportField,
        Key::ImportNotImported,
        Key::ImportReasonNotImportable,
        Key::ImportReasonDuplicateTarget,
        Key::ImportReasonUnknown,
        Key::ImportPreview,
        Key::ImportLine,
        Key::ImportProblems,
        Key::ImportCheck,
        Key::ImportChecking,
        Key::ImportValid,
        Key::ImportInvalid,
        Key::ImportDuplicates,
        Key::ImportRows,
        Key::ImportStart,
        Key::ImportUploading,
        Key::ImportQueued,
        Key::ImportRunning,
        Key::ImportDone,
        Key::ImportCreated,
        Key::ImportUpdated,
        Key::ImportSkipped,
        Key::ImportFailed,
        Key::ImportSeeCustomers,
        Key::ImportErrorReport,
        Key::ImportAnother,
        Key::ImportNotImportableNote,
        Key::TargetFirstName,
        Key::TargetLastName,
        Key::TargetFullName,
        Key::TargetEmail,
        Key::TargetNote,
        Key::TargetAcceptsMarketing,
        Key::TargetCustomerGroup,
        Key::JobsTitle,
        Key::JobsKind,
        Key::JobsStatus,
        Key::JobsProgress,
        Key::JobsAttempts,
        Key::JobsEmpty,
        Key::JobsKindImport,
        Key::JobsKindUndo,
        Key::StatusReceiving,
        Key::StatusQueued,
        Key::StatusRunning,
        Key::StatusCompleted,
        Key::StatusFailed,
        Key::StatusCancelled,
        Key::StatusUndone,
        Key::CustomersAdd,
        Key::CustomersAny,
        Key::CustomersConfirmDelete,
        Key::CustomersCreatedFrom,
        Key::CustomersCreatedTo,
        Key::CustomersEdit,
        Key::CustomersFromImport,
        Key::CustomersShowAll,
        Key::CustomersSort,
        Key::CustomersSortNewest,
        Key::CustomersSortOldest,
        Key::ExportBom,
        Key::ExportComma,
        Key::ExportDelimiter,
        Key::ExportSemicolon,
        Key::ExportTab,
        Key::GroupsTitle,
        Key::GroupsActions,
        Key::GroupsCreate,
        Key::GroupsCustomers,
        Key::GroupsDelete,
        Key::GroupsMoveAndDelete,
        Key::GroupsMoveTo,
        Key::GroupsName,
        Key::GroupsNewName,
        Key::GroupsRename,
        Key::GroupsSave,
        Key::ImportAuto,
        Key::ImportConfidence,
        Key::ImportContinue,
        Key::ImportDownloadProblems,
        Key::ImportFixNote,
        Key::ImportNewGroup,
        Key::ImportNewGroupName,
        Key::ImportPause,
        Key::ImportResume,
        Key::ImportResumeNote,
        Key::ImportRowsPerS,
        Key::ImportRowsSent,
        Key::ImportSecondsLeft,
        Key::JobsCancel,
        Key::JobsErrors,
        Key::JobsQueuedAt,
        Key::JobsUndo,
    ];

    /// (English, Bulgarian).
    pub fn texts(self) -> (&'static str, &'static str) {
        match self {
            Key::AppName => ("Intake", "Intake"),
            Key::NavCustomers => ("Customers", "Клиенти"),
            Key::NavGroups => ("Customer groups", "Клиентски групи"),
            Key::NavJobs => ("Queue jobs", "Задачи в опашката"),
            Key::NavLanguage => ("Language", "Език"),
            Key::NavSignOut => ("Sign out", "Изход"),
            Key::LoginTitle => ("Sign in", "Вход"),
            Key::LoginUsername => ("User name", "Потребителско име"),
            Key::LoginPassword => ("Password", "Парола"),
            Key::LoginSubmit => ("Sign in", "Вход"),
            Key::CommonLoading => ("Loading…", "Зареждане…"),
            Key::CommonRetry => ("Try again", "Опитай отново"),
            Key::CommonPrevious => ("Previous", "Предишна"),
            Key::CommonNext => ("Next", "Следваща"),
            Key::CommonPage => ("Page", "Страница"),
            Key::CommonOf => ("of", "от"),
            Key::CommonYes => ("Yes", "Да"),
            Key::CommonNo => ("No", "Не"),
            Key::CommonCancel => ("Cancel", "Отказ"),
            Key::CustomersTitle => ("Customers", "Клиенти"),
            Key::CustomersImport => ("Import", "Импортирай"),
            Key::CustomersExport => ("Export customers", "Експортирай клиенти"),
            Key::CustomersSearch => ("Search name or email", "Търсене по име или имейл"),
            Key::CustomersGroup => ("Customer group", "Клиентска група"),
            Key::CustomersAllGroups => ("All groups", "Всички групи"),
            Key::CustomersName => ("Name", "Име"),
            Key::CustomersEmail => ("Email", "Имейл"),
            Key::CustomersMarketing => ("Accepts marketing", "Приема маркетинг"),
            Key::CustomersCreated => ("Created", "Създаден"),
            Key::CustomersEmpty => (
                "No customers yet. Import a CSV file to add them.",
                "Все още няма клиенти. Импортирайте CSV файл, за да ги добавите.",
            ),
            Key::CustomersTotal => ("customers", "клиента"),
            Key::ImportTitle => (
                "Import customers via CSV",
                "Импортиране на клиенти чрез CSV",
            ),
            Key::ImportFile => ("CSV file", "CSV файл"),
            Key::ImportDrop => (
                "Drop a CSV file here or choose one.",
                "Пуснете CSV файл тук или изберете такъв.",
            ),
            Key::ImportHasHeader => (
                "The file has a header line explaining the columns",
                "Файлът има описателен ред на колоните",
            ),
            Key::ImportSettings => ("Additional settings", "Допълнителни настройки"),
            Key::ImportGroup => (
                "Customer group the customers join",
                "Клиентска група, към която да бъдат причислени клиентите",
            ),
            Key::ImportOnDuplicate => (
                "When an email already exists",
                "Когато имейлът вече съществува",
            ),
            Key::ImportDupSkip => ("Skip the row", "Пропусни реда"),
            Key::ImportDupUpdate => ("Update the customer", "Обнови клиента"),
            Key::ImportDupUpdateNonBlank => (
                "Update only non-empty fields",
                "Обнови само непразните полета",
            ),
            Key::ImportDetected => ("Detected", "Разпознато"),
            Key::ImportEncoding => ("Encoding", "Кодиране"),
            Key::ImportDelimiter => ("Delimiter", "Разделител"),
            Key::ImportMapping => (
                "Match the columns to customer fields",
                "Съпоставете колоните с полетата на клиента",
            ),
            Key::ImportColumn => ("Column", "Колона"),
            Key::ImportSamples => ("Sample values", "Примерни стойности"),
            Key::ImportField => ("Customer field", "Поле на клиента"),
            Key::ImportNotImported => ("Do not import", "Не импортирай"),
            Key::ImportReasonNotImportable => (
                "Cannot be imported (phones, addresses and orders are not importable)",
                "Не може да се импортира (телефони, адреси и поръчки не се импортират)",
            ),
            Key::ImportReasonDuplicateTarget => (
                "Another column already fills this field",
                "Друга колона вече попълва това поле",
            ),
            Key::ImportReasonUnknown => ("Not recognised", "Неразпозната"),
            Key::ImportPreview => (
                "Preview: the first rows as they will be imported",
                "Преглед: първите редове, както ще бъдат импортирани",
            ),
            Key::ImportLine => ("Line", "Ред"),
            Key::ImportProblems => ("Problems", "Проблеми"),
            Key::ImportCheck => ("Check the whole file", "Провери целия файл"),
            Key::ImportChecking => ("Checking the file…", "Проверка на файла…"),
            Key::ImportValid => ("Valid", "Валидни"),
            Key::ImportInvalid => ("Invalid", "Невалидни"),
            Key::ImportDuplicates => ("Duplicates", "Дублирани"),
            Key::ImportRows => ("Rows", "Редове"),
            Key::ImportStart => ("Import", "Импортирай"),
            Key::ImportUploading => ("Sending rows…", "Изпращане на редовете…"),
            Key::ImportQueued => (
                "The import is queued and will start soon.",
                "Импортирането е в опашката и ще започне скоро.",
            ),
            Key::ImportRunning => ("Importing…", "Импортиране…"),
            Key::ImportDone => ("Import finished", "Импортирането завърши"),
            Key::ImportCreated => ("Created", "Създадени"),
            Key::ImportUpdated => ("Updated", "Обновени"),
            Key::ImportSkipped => ("Skipped", "Пропуснати"),
            Key::ImportFailed => ("Failed", "Неуспешни"),
            Key::ImportSeeCustomers => {
                ("See the imported customers", "Вижте импортираните клиенти")
            }
            Key::ImportErrorReport => ("Download the error report", "Изтеглете отчета за грешки"),
            Key::ImportAnother => ("Import another file", "Импортирай друг файл"),
            Key::ImportNotImportableNote => (
                "Phones, addresses and orders cannot be imported.",
                "Телефони, адреси и поръчки не могат да бъдат импортирани.",
            ),
            Key::TargetFirstName => ("First name", "Име"),
            Key::TargetLastName => ("Last name", "Фамилия"),
            Key::TargetFullName => ("Full name", "Цяло име"),
            Key::TargetEmail => ("Email address", "Имейл адрес"),
            Key::TargetNote => ("Note", "Забележка"),
            Key::TargetAcceptsMarketing => ("Accepts marketing", "Приема маркетинг"),
            Key::TargetCustomerGroup => ("Customer group", "Клиентска група"),
            Key::JobsTitle => ("Queue jobs", "Задачи в опашката"),
            Key::JobsKind => ("Job", "Задача"),
            Key::JobsStatus => ("Status", "Състояние"),
            Key::JobsProgress => ("Progress", "Напредък"),
            Key::JobsAttempts => ("Attempts", "Опити"),
            Key::JobsEmpty => ("No jobs yet.", "Все още няма задачи."),
            Key::JobsKindImport => ("Customer import", "Импортиране на клиенти"),
            Key::JobsKindUndo => ("Undo of an import", "Отмяна на импортиране"),
            Key::StatusReceiving => ("Receiving", "Получаване"),
            Key::StatusQueued => ("Queued", "В опашката"),
            Key::StatusRunning => ("Running", "Изпълнява се"),
            Key::StatusCompleted => ("Completed", "Завършена"),
            Key::StatusFailed => ("Failed", "Неуспешна"),
            Key::StatusCancelled => ("Cancelled", "Отменена"),
            Key::StatusUndone => ("Undone", "Отменено"),
            Key::CustomersAdd => ("Add customer", "Добави клиент"),
            Key::CustomersAny => ("Any", "Всички"),
            Key::CustomersConfirmDelete => {
                ("Delete this customer?", "Да бъде ли изтрит този клиент?")
            }
            Key::CustomersCreatedFrom => ("Created from", "Създаден от"),
            Key::CustomersCreatedTo => ("Created until", "Създаден до"),
            Key::CustomersEdit => ("Edit", "Редактирай"),
            Key::CustomersFromImport => ("Customers from import", "Клиенти от импортиране"),
            Key::CustomersShowAll => ("Show all customers", "Покажи всички клиенти"),
            Key::CustomersSort => ("Sort by", "Подреди по"),
            Key::CustomersSortNewest => ("Newest first", "Най-новите първо"),
            Key::CustomersSortOldest => ("Oldest first", "Най-старите първо"),
            Key::ExportBom => (
                "For Excel (byte-order mark)",
                "За Excel (маркер за подредба на байтовете)",
            ),
            Key::ExportComma => ("Comma", "Запетая"),
            Key::ExportDelimiter => ("Export delimiter", "Разделител при експорт"),
            Key::ExportSemicolon => ("Semicolon", "Точка и запетая"),
            Key::ExportTab => ("Tab", "Табулация"),
            Key::GroupsTitle => ("Customer groups", "Клиентски групи"),
            Key::GroupsActions => ("Actions", "Действия"),
            Key::GroupsCreate => ("Create group", "Създай група"),
            Key::GroupsCustomers => ("Customers", "Клиенти"),
            Key::GroupsDelete => ("Delete", "Изтрий"),
            Key::GroupsMoveAndDelete => {
                ("Move customers and delete", "Премести клиентите и изтрий")
            }
            Key::GroupsMoveTo => ("Move customers of", "Премести клиентите на"),
            Key::GroupsName => ("Group name", "Име на групата"),
            Key::GroupsNewName => ("New group name", "Име на новата група"),
            Key::GroupsRename => ("Rename", "Преименувай"),
            Key::GroupsSave => ("Save", "Запази"),
            Key::ImportAuto => ("Detect", "Разпознай"),
            Key::ImportConfidence => ("How sure the match is", "Колко сигурно е съответствието"),
            Key::ImportContinue => ("Continue", "Продължи"),
            Key::ImportDownloadProblems => (
                "Download the list of problems",
                "Изтеглете списъка с проблеми",
            ),
            Key::ImportFixNote => (
                "Invalid cells are marked; correct them here before importing.",
                "Невалидните клетки са отбелязани; поправете ги тук преди импортиране.",
            ),
            Key::ImportNewGroup => ("New group…", "Нова група…"),
            Key::ImportNewGroupName => ("Name of the new group", "Име на новата група"),
            Key::ImportPause => ("Pause", "Пауза"),
            Key::ImportResume => ("Resume the import", "Продължи импортирането"),
            Key::ImportResumeNote => (
                "This file was being imported when the page closed: import",
                "Този файл се импортираше, когато страницата беше затворена: импортиране",
            ),
            Key::ImportRowsPerS => ("rows/s", "реда/с"),
            Key::ImportRowsSent => ("rows sent", "изпратени реда"),
            Key::ImportSecondsLeft => ("s left", "с остават"),
            Key::JobsCancel => ("Cancel", "Отмени"),
            Key::JobsErrors => ("Errors", "Грешки"),
            Key::JobsQueuedAt => ("Queued at", "Поставена в опашката"),
            Key::JobsUndo => ("Undo", "Отмени импортирането"),
        }
    }

    pub fn en(self) -> &'static str {
        self.texts().0
    }

    pub fn bg(self) -> &'static str {
        self.texts().1
    }
}
