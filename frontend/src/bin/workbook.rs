//! The workbook worker's entry point (built by Trunk as a Web Worker with the `workbook`
//! feature; started by the import page only when the chosen file is a workbook).

fn main() {
    frontend::workbook::worker::start();
}
