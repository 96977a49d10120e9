fn main() {
    let parked = linx::process::Command::new("/bin/true").spawn().unwrap();
    parked.signal(linx::process::Signal::TERM).unwrap();
}
