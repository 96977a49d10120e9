fn main() {
    let mut running = linx::process::Command::new("/bin/true").start().unwrap();
    running.caps(&linx::process::CapsChange::default()).unwrap();
}
