//! DropZone: the file input, a folder input, and drag-and-drop of files.

use wasm_bindgen::JsCast;
use web_sys::{DragEvent, File, FileList, HtmlInputElement};
use yew::prelude::*;

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
            let files = files_of(e.data_transfer().and_then(|d| d.files()));
            if !files.is_empty() {
                on_files.emit(files);
            }
        })
    };
    let class = classes!("drop-zone", (*over).then_some("drop-zone--over"));
    html! {
        <div {class} data-testid="drop-zone" ondragover={on_drag_over} ondragleave={on_drag_leave} ondrop={on_drop}>
            <p class="drop-zone__hint">
                {"Drop CloudTrail exports here (.json, .json.gz, NDJSON, lookup-events, EventBridge, CloudWatch Logs), or "}
                <label class="drop-zone__pick">
                    {"choose files"}
                    <input type="file" multiple=true data-testid="file-input" onchange={on_change.clone()} />
                </label>
                {" or "}
                <label class="drop-zone__pick">
                    {"a folder"}
                    <input type="file" multiple=true webkitdirectory=true data-testid="folder-input" onchange={on_change} />
                </label>
                {". Nothing leaves your browser."}
            </p>
        </div>
    }
}
