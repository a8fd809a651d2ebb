//! The benchmark workbook: a customer export as Excel saves one (shared strings, a date
//! column with a date format, phone numbers as numbers, a header row), made once with
//! rust_xlsxwriter and kept beside the CSV data.

use std::path::Path;

use anyhow::Result;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

const HEADERS: [&str; 12] = [
    "First Name",
    "Last Name",
    "Email",
    "Phone",
    "Customer since",
    "Note",
    "Accepts Email Marketing",
    "City",
    "Company",
    "Orders",
    "Total Spent",
    "Tags",
];

const FIRST: [&str; 8] = [
    "Ana", "Boris", "Vera", "Georgi", "Maria", "Petar", "Elena", "Ivan",
];
const LAST: [&str; 8] = [
    "Petrova",
    "Ivanov",
    "Koleva",
    "Dimitrov",
    "Georgieva",
    "Stoyanov",
    "Nikolova",
    "Todorov",
];
const CITY: [&str; 5] = ["Sofia", "Plovdiv", "Varna", "Burgas", "Ruse"];

/// Writes `rows` customers to `path` unless a file is there already.
pub fn ensure(path: &Path, rows: u32) -> Result<()> {
    if path.exists() {
        println!("{} present", path.display());
        return Ok(());
    }
    println!("writing {} ({rows} rows)", path.display());
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name("Customers")?;
    let date = Format::new().set_num_format("dd.mm.yyyy");
    let money = Format::new().set_num_format("#,##0.00");
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write_string(0, c as u16, *h)?;
    }
    for r in 1..=rows {
        let i = r as usize;
        sheet.write_string(r, 0, FIRST[i % FIRST.len()])?;
        sheet.write_string(r, 1, LAST[(i / 8) % LAST.len()])?;
        sheet.write_string(r, 2, format!("customer{r}@example.com"))?;
        sheet.write_number(r, 3, 359_888_000_000.0 + f64::from(r))?;
        let since = ExcelDateTime::from_ymd(
            2015 + (r % 10) as u16,
            1 + (r % 12) as u8,
            1 + (r % 28) as u8,
        )?;
        sheet.write_datetime_with_format(r, 4, &since, &date)?;
        sheet.write_string(r, 5, format!("Called on {} about order {r}", 1 + r % 28))?;
        sheet.write_string(r, 6, if r % 3 == 0 { "no" } else { "yes" })?;
        sheet.write_string(r, 7, CITY[i % CITY.len()])?;
        sheet.write_string(r, 8, format!("Company {}", r % 997))?;
        sheet.write_number(r, 9, f64::from(r % 40))?;
        sheet.write_number_with_format(r, 10, f64::from(r % 100_000) / 7.0, &money)?;
        sheet.write_string(r, 11, format!("tag{}, vip{}", r % 13, r % 3))?;
    }
    let tmp = path.with_extension("xlsx.part");
    book.save(&tmp)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
