fn main() {
    let parked = linx::process::Command::new("/bin/true").spawn().unwrap();
    let _running = parked.proceed().unwrap();
    let _again = parked.proceed();
}
