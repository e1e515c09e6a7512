//! DropZone: the file input, a folder input, and drag-and-drop of files and whole folders.

use std::future::Future;
use std::pin::Pin;

use js_sys::{Array, Promise};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DragEvent, File, FileList, FileSystemDirectoryEntry, FileSystemDirectoryReader, FileSystemEntry,
    FileSystemFileEntry, HtmlInputElement,
};
use yew::prelude::*;

use crate::page::i18n::use_texts;

/// Folders deeper than this are not descended into (a link loop cannot hang the page).
const MAX_FOLDER_DEPTH: usize = 64;

fn file_of(entry: &FileSystemFileEntry) -> JsFuture {
    let entry = entry.clone();
    JsFuture::from(Promise::new(&mut |resolve, reject| entry.file_with_callback_and_callback(&resolve, &reject)))
}

fn next_batch(reader: &FileSystemDirectoryReader) -> JsFuture {
    let reader = reader.clone();
    JsFuture::from(Promise::new(&mut |resolve, reject| {
        let _ = reader.read_entries_with_callback_and_callback(&resolve, &reject);
    }))
}

/// Collects the files below a dropped entry, named by their path inside the drop.
fn collect<'a>(
    entry: FileSystemEntry,
    depth: usize,
    out: &'a mut Vec<(String, File)>,
) -> Pin<Box<dyn Future<Output = ()> + 'a>> {
    Box::pin(async move {
        let path = entry.full_path().trim_start_matches('/').to_owned();
        if entry.is_file() {
            if let Ok(file) = file_of(entry.unchecked_ref::<FileSystemFileEntry>()).await {
                out.push((path, file.unchecked_into()));
            }
        } else if entry.is_directory() && depth < MAX_FOLDER_DEPTH {
            let reader = entry.unchecked_ref::<FileSystemDirectoryEntry>().create_reader();
            // readEntries returns the children in batches until an empty one.
            while let Ok(batch) = next_batch(&reader).await {
                let batch = Array::from(&batch);
                if batch.length() == 0 {
                    break;
                }
                for child in batch.iter() {
                    collect(child.unchecked_into(), depth + 1, out).await;
                }
            }
        }
    })
}

/// Props of [`DropZone`].
#[derive(Properties, PartialEq)]
pub struct DropZoneProps {
    /// Called with (path, file) pairs.
    pub on_files: Callback<Vec<(String, File)>>,
}

fn files_of(list: Option<FileList>) -> Vec<(String, File)> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length())
        .filter_map(|i| list.get(i))
        .map(|f| {
            // Folder picks carry the path below the chosen folder; plain picks only the name.
            let rel = js_sys::Reflect::get(&f, &"webkitRelativePath".into()).ok().and_then(|v| v.as_string());
            let name = rel.filter(|p| !p.is_empty()).unwrap_or_else(|| f.name());
            (name, f)
        })
        .collect()
}

/// The drop zone.
#[function_component(DropZone)]
pub fn drop_zone(props: &DropZoneProps) -> Html {
    let over = use_state(|| false);
    let on_change = {
        let on_files = props.on_files.clone();
        Callback::from(move |e: Event| {
            let Some(input) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) else { return };
            let files = files_of(input.files());
            // Reset so choosing the same file again fires a change.
            input.set_value("");
            if !files.is_empty() {
                on_files.emit(files);
            }
        })
    };
    let on_drag_over = {
        let over = over.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            over.set(true);
        })
    };
    let on_drag_leave = {
        let over = over.clone();
        Callback::from(move |_: DragEvent| over.set(false))
    };
    let on_drop = {
        let over = over.clone();
        let on_files = props.on_files.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            over.set(false);
            let Some(transfer) = e.data_transfer() else { return };
            // Entries must be taken during the event: the browser empties the transfer after it.
            let items = transfer.items();
            let entries: Vec<FileSystemEntry> = (0..items.length())
                .filter_map(|i| items.get(i))
                .filter_map(|item| item.webkit_get_as_entry().ok().flatten())
                .collect();
            if entries.is_empty() {
                let files = files_of(transfer.files());
                if !files.is_empty() {
                    on_files.emit(files);
                }
                return;
            }
            let on_files = on_files.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let mut files = Vec::new();
                for entry in entries {
                    collect(entry, 0, &mut files).await;
                }
                if !files.is_empty() {
                    on_files.emit(files);
                }
            });
        })
    };
    let class = classes!("drop-zone", (*over).then_some("drop-zone--over"));
    let t = use_texts();
    html! {
        <div {class} data-testid="drop-zone" ondragover={on_drag_over} ondragleave={on_drag_leave} ondrop={on_drop}>
            <p class="drop-zone__hint">
                {t.drop_hint}
                <label class="drop-zone__pick">
                    {t.choose_files}
                    <input type="file" multiple=true data-testid="file-input" onchange={on_change.clone()} />
                </label>
                {t.or}
                <label class="drop-zone__pick">
                    {t.a_folder}
                    <input type="file" multiple=true webkitdirectory=true data-testid="folder-input" onchange={on_change} />
                </label>
                {t.nothing_leaves}
            </p>
        </div>
    }
}
